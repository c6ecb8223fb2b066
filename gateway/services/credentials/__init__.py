"""Credentials as one feature (SPEC §5.5): rotation.py holds the use cases (``Credentials``),
ports.py what they need from the outside, listing.py what an admin is shown, watch.py how each
process follows a rotation, and legacy_passwords.py / master_key.py the two special kinds."""
