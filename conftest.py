"""pytest set-up for `pytest --nbval chapters`.

nbval runs each cell with ``store_history=False``, so IPython cannot see the cell's text
when it decides whether a trailing ``;`` silences the result: a plot line ending in ``;``
would show ``<Figure ...>`` under nbval but not in Jupyter, and the stored outputs would
never match. We run cells the way Jupyter does (with history), so notebooks behave
under test exactly as they do for a reader.
"""
import os

# Notebook kernels inherit this process's environment: a non-interactive MPLBACKEND (Agg)
# would stop figures from being displayed, unlike in Jupyter.
if os.environ.get("MPLBACKEND", "").lower() == "agg":
    del os.environ["MPLBACKEND"]

try:
    from nbval.kernel import RunningKernel
except ImportError:  # nbval not installed: nothing to adjust
    RunningKernel = None

if RunningKernel is not None and not getattr(RunningKernel, "_cnnkit_history", False):
    _execute = RunningKernel.execute_cell_input

    def execute_cell_input(self, cell_input, allow_stdin=None):
        return self.kc.execute(cell_input, store_history=True, allow_stdin=allow_stdin, stop_on_error=False)

    # Only patch when nbval's method has the shape we expect (it forwards to kc.execute).
    import inspect
    if "store_history=False" in inspect.getsource(_execute):
        RunningKernel.execute_cell_input = execute_cell_input
        RunningKernel._cnnkit_history = True
