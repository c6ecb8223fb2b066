"""`make bench`: the gateway measured against its targets (issue 7, part 5)."""
