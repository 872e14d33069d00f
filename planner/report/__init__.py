"""Results workbooks."""
