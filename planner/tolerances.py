"""Every tolerance of the solve and the analysis, stated once (docs/solving.md, "Tolerances").

The chain:

- HiGHS holds every row to HIGHS_FEASIBILITY (1e-7, absolute, its default);
- a keep row holds the stage's value at its portfolio (start decisions rounded: HiGHS accepts
  x within 1e-6 of an integer, stages.portfolio_value) with KEEP_ROOM room: 1e-7 absolute in
  the row's units, what HiGHS honours, so the later stages never optimize on a knife edge
  and cannot buy more than that (a later stage may spend the room, e.g. leave 1e-7 Mt/yr
  unmet to save transport cost), or STAGE_TOLERANCE (1e-9) relative where the value is
  large (USD m);
- a stage objective whose largest coefficient is below SCALE_BELOW is scaled inside HiGHS and
  its keep row divided by that coefficient (solve.stages.keep_row): those of
  expected_disruption (weight / demand), never period weights (at least 0.01 for up to 100
  measured periods);
- each stage stops at the relative gap asked for (mip_gap, 1e-4 by default);
- closure generation counts a pair as violated beyond 1e-6 x the period's demand
  (solve.closure_generation.TOLERANCE).

An input rule's tolerance (a spend profile's shares add up to 1 within
inputs.finance.PROFILE_TOLERANCE) is the workbook's, not the solver's, and stays there.
"""

HIGHS_FEASIBILITY = 1e-7
KEEP_ROOM = HIGHS_FEASIBILITY
STAGE_TOLERANCE = 1e-9  # relative room of a keep row, where that is more than KEEP_ROOM
SCALE_BELOW = 1e-2
