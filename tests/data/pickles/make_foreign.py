"""Make foreign_py3XX.pkl: run with another Python and cloudpickle on PYTHONPATH."""

import sys, cloudpickle
class Foo:
    limit = 3
    def f(self, x, k=2):
        return [v * k for v in x if v > self.limit]
    @staticmethod
    def g(a): return a
open(sys.argv[1], "wb").write(cloudpickle.dumps(Foo))
