"""The Python side of the script SDK: what ``sdk.*`` and ``events.*`` calls do on the host."""
