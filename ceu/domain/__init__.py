"""Pure domain rules for ceu: no Flask, no SQLAlchemy, no other ceu packages.

Everything here takes plain values (paths, strings, dataclasses) and returns plain values,
so it can be tested without an app or a database. A test walks the imports to keep it so.
"""
