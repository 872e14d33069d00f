"""The inputs layer: the workbook read and checked cell by cell, into a validated Instance.
Imports nothing of the planner above it."""
