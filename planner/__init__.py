"""Corridor Planner: which corridor projects to fund, and when, to depend least on one route."""

__version__ = "0.1.0"
