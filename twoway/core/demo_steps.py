"""What `twoway demo` adds to the demo organization after the people, in order.

Each step is "module:function", called as function(org=org, seed=seed) inside one transaction;
each app that has something to show in the demo appends its own step here.
"""

DEMO_STEPS: list[str] = ["twoway.programs.demo:seed_demo"]

# The partnership space fills the pairs made above (goals, check-ins, notes, feedback, pulse);
# appended last on purpose so that it runs after the programs step.
DEMO_STEPS.append("twoway.partnerships.demo:seed_demo")

# Program insights: fills months of history behind every pair (check-ins, pulse, goals, an
# earlier cohort, people who left) and runs the aggregation; last, after the steps above.
DEMO_STEPS.append("twoway.insights.demo:seed_demo")
