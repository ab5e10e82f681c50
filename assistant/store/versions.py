"""What marks a database as this application's, and which schema it has. Kept light: it is read at
every start-up, before anything heavier is imported."""

# "LTCA": tells this application's databases apart from every other SQLite file.
APPLICATION_ID = 0x4C544341
# The number of the newest migration in `assistant.store.schema` (an assertion there keeps the two in step).
SCHEMA_VERSION = 11
