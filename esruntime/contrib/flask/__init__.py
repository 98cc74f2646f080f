"""Flask adapter (``pip install 'esruntime[flask]'``); its routes arrive with the HTTP API."""
