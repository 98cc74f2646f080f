"""Example applications: ESDL schemas and the same handlers in C, AssemblyScript and Python."""
