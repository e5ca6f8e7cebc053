"""The one-call GPU recipe (scripts/gpu_recipe.py): pack the open corpus, train a plan of runs, report."""
