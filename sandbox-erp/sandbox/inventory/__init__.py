"""The sandbox's legacy inventory system: a spyne SOAP service on SQLite."""
