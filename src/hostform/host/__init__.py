"""The host file (``hostform.yaml``): schema, model, loading, rendering and the build."""
