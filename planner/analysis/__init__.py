"""The analysis layer: what a portfolio found by a solve means (measures, appraisal, value of
each project, leverage). planner.analysis.pipeline.analyse is the one post-solve pipeline."""
