"""The studies layer: many solves of one workbook (scenarios, robust, frontier, alternatives)
and the batch that runs them."""
