"""The solve layer: the model handed to HiGHS, the lexicographic stages, closure generation
and cuts, the explanation of an impossible plan. ``solve(instance)`` is
planner.solve.run.solve; this package re-exports nothing (an import here would make the model
and the solve import each other as packages)."""
