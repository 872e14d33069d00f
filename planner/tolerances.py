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
  (VIOLATED, below).

Closures:

- MOVED: a capacity bound that moves less than this (Mt/yr) is unchanged, and a row whose
  activity is this far below its bound is slack: HiGHS's own feasibility tolerance
  (solve.closure_lp.unchanged_optimum);
- SCREENED: a closure pair whose stranded amounts with nothing and with everything built
  differ by no more than this (Mt/yr) is a constant, and one within this of the floor can
  never be the worst (solve.screening.screen);
- VIOLATED: a waiting pair is violated when it strands more than w_t D_t by this share of D_t
  (at least CUT_TOLERANCE_MT): HiGHS holds rows to 1e-7 absolute, so smaller excesses are
  round-off (solve.closure_generation);
- CUT_TOLERANCE: a pair is under-estimated when what it strands exceeds its estimate by this
  share of the amount (at least 1 Mt/yr): relative to the pair itself, not to the period's
  trade, since expected_disruption adds up small closures too; CUT_TOLERANCE_MT: and by at
  least this many Mt/yr (10 t/yr): HiGHS holds a cut row only to its tolerances, which on a
  scaled row let an estimate sit some 1e-6 Mt/yr under its cut, and a pair held to less
  would be cut at the same portfolio round after round; CUT_LOOSEN: a cut is loosened by
  this share: duals are exact only to HiGHS's tolerances, and a cut a hair too tight would
  cut off the optimum (an order below CUT_TOLERANCE, so that the portfolio a cut was made
  at satisfies it) (solve.closure_cuts).

Appraisal: a yearly amount below MONEY_ROUND_OFF (USD m, per year of the period) is the
solver's round-off (flows held to 1e-7 Mt/yr), and so is a difference of tonnes, unmet or
stranded, below TONNES_ROUND_OFF (Mt/yr): at a loss of USD 1,370 a tonne, 3e-7 Mt/yr would
otherwise be USD 0.0004 m "served" (analysis.appraisal).

Figures written: a flow is known to HIGHS_FEASIBILITY + KEEP_ROOM (report.xlsx.FEASIBILITY,
the rounding of the figures a workbook shows).

Comparing measures: two values of a measure are equal up to solver round-off when they differ
by no more than round_off: 1e-7, relative above 1 (analysis.bought_for_rule.same_measures,
studies.tradeoffs.dominates).

An input rule's tolerance (a spend profile's shares add up to 1 within
inputs.finance.PROFILE_TOLERANCE) is the workbook's, not the solver's, and stays there.
"""

HIGHS_FEASIBILITY = 1e-7
KEEP_ROOM = HIGHS_FEASIBILITY
STAGE_TOLERANCE = 1e-9  # relative room of a keep row, where that is more than KEEP_ROOM
SCALE_BELOW = 1e-2
REPORTED_FLOW = 1e-7  # a flow or unmet amount below this (Mt/yr) is reported as 0
MOVED = 1e-7
SCREENED = 1e-7
VIOLATED = 1e-6
CUT_TOLERANCE = 1e-6
CUT_TOLERANCE_MT = 1e-5
CUT_LOOSEN = CUT_TOLERANCE / 10
MONEY_ROUND_OFF = 1e-5
TONNES_ROUND_OFF = 1e-6


def round_off(value: float) -> float:
    """How far two values of a measure may differ near ``value`` and still be equal: 1e-7,
    relative above 1."""
    return 1e-7 * max(1.0, abs(value))
