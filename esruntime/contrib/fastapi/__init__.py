"""FastAPI adapter (``pip install 'esruntime[fastapi]'``); its routes arrive with the HTTP API."""
