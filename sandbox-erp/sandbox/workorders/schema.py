"""The work-order service's SQLite schema."""

from __future__ import annotations

SCHEMA = """
CREATE TABLE IF NOT EXISTS recipes (
    name TEXT PRIMARY KEY, batch_min TEXT NOT NULL, batch_max TEXT NOT NULL,
    batch_increment TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS recipe_operations (
    recipe_name TEXT NOT NULL REFERENCES recipes (name) ON DELETE CASCADE,
    sequence INTEGER NOT NULL, name TEXT NOT NULL, PRIMARY KEY (recipe_name, sequence));
CREATE TABLE IF NOT EXISTS recipe_allowed_items (
    recipe_name TEXT NOT NULL, sequence INTEGER NOT NULL, item_number TEXT NOT NULL,
    PRIMARY KEY (recipe_name, sequence, item_number),
    FOREIGN KEY (recipe_name, sequence) REFERENCES recipe_operations ON DELETE CASCADE);
CREATE TABLE IF NOT EXISTS recipe_rework_items (
    recipe_name TEXT NOT NULL REFERENCES recipes (name) ON DELETE CASCADE,
    item_number TEXT NOT NULL, PRIMARY KEY (recipe_name, item_number));
CREATE TABLE IF NOT EXISTS work_orders (
    id TEXT PRIMARY KEY, status TEXT NOT NULL, recipe_name TEXT NOT NULL,
    batch_quantity TEXT NOT NULL, uom TEXT NOT NULL, planned_start TEXT, owner_id TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS operations (
    work_order_id TEXT NOT NULL REFERENCES work_orders (id) ON DELETE CASCADE,
    sequence INTEGER NOT NULL, name TEXT NOT NULL, PRIMARY KEY (work_order_id, sequence));
CREATE TABLE IF NOT EXISTS materials (
    work_order_id TEXT NOT NULL, sequence INTEGER NOT NULL, item_number TEXT NOT NULL,
    quantity TEXT NOT NULL, uom TEXT NOT NULL, lot TEXT, is_rework INTEGER NOT NULL,
    PRIMARY KEY (work_order_id, sequence, item_number),
    FOREIGN KEY (work_order_id, sequence) REFERENCES operations ON DELETE CASCADE);
"""
# In an order that deletes children before their parents.
TABLES = (
    "materials", "operations", "work_orders", "recipe_rework_items", "recipe_allowed_items",
    "recipe_operations", "recipes",
)  # fmt: skip
