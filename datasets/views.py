"""The dataset download page (``/data/``) and the file it offers, with its sha256."""

from django.http import FileResponse, Http404
from django.shortcuts import render

from datasets.build import TABLES, dataset_dir, read_manifest


def dataset(request):
    """What the download holds, its sha256 and size, when it was built; how to get subsets."""
    manifest = read_manifest()
    return render(request, "datasets/dataset.html", {"manifest": manifest, "tables": TABLES})


def download(request):
    """The current zip, with its sha256 in a header (``Digest``-style) and as its ETag."""
    manifest = read_manifest()
    if manifest is None:
        raise Http404("The dataset has not been built yet.")
    try:
        # Opened before answering: a rebuild replacing it meanwhile does not cut this download.
        file = open(dataset_dir() / manifest["file"], "rb")  # noqa: SIM115 (FileResponse closes it)
    except FileNotFoundError:
        raise Http404("The dataset is being rebuilt; try again in a minute.") from None
    response = FileResponse(file, as_attachment=True, filename=manifest["file"])
    response["ETag"] = f'"{manifest["sha256"]}"'
    response["X-Checksum-SHA256"] = manifest["sha256"]
    return response
