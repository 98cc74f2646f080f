"""Adapters that mount esruntime into web frameworks (each needs its extra installed)."""
