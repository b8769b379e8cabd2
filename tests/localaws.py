"""The local AWS the tests run the CLI against lives in the package, where
``mrpolicy sandbox`` uses it too: generator/apply/localaws.py. The tests'
``from .localaws import LocalAws`` keeps working through this re-export."""

from generator.apply.localaws import LocalAws

__all__ = ["LocalAws"]
