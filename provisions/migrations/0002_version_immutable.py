from django.db import migrations

# Old versions are evidence: their text, hash and document can never change, whatever code or
# admin action tries. The database refuses it, so nothing above it has to be trusted.
FORWARD = """
CREATE OR REPLACE FUNCTION provisions_version_immutable() RETURNS trigger AS $$
BEGIN
  IF NEW.text IS DISTINCT FROM OLD.text OR NEW.sha256 IS DISTINCT FROM OLD.sha256
     OR NEW.document_id IS DISTINCT FROM OLD.document_id OR NEW.byte_size IS DISTINCT FROM OLD.byte_size THEN
    RAISE EXCEPTION 'version % is immutable: its text, sha256 and document cannot change', OLD.id
      USING ERRCODE = 'integrity_constraint_violation';
  END IF;
  RETURN NEW;
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER provisions_version_immutable BEFORE UPDATE ON provisions_version
  FOR EACH ROW EXECUTE FUNCTION provisions_version_immutable();
"""
BACKWARD = """
DROP TRIGGER IF EXISTS provisions_version_immutable ON provisions_version;
DROP FUNCTION IF EXISTS provisions_version_immutable();
"""


class Migration(migrations.Migration):
    dependencies = [("provisions", "0001_initial")]
    operations = [migrations.RunSQL(FORWARD, BACKWARD)]
