"""ESDL: the event schema language, its validator and the schema registry."""
