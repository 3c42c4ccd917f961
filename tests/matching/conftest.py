"""The matching engine is pure Python: its tests need no database."""
