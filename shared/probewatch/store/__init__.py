"""DynamoDB access: the only package that knows keys and indexes (see keys.py)."""
