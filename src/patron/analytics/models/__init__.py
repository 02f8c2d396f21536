"""Probability models of customer behaviour, one per module, fitted on sufficient statistics."""

from patron.analytics.models.base import Model, ModelError
from patron.analytics.models.beta_geo import BetaGeo
from patron.analytics.models.beta_geo_beta_binom import BetaGeoBetaBinom
from patron.analytics.models.erlang import ModifiedBetaGeoCNBD
from patron.analytics.models.gamma_gamma import GammaGamma
from patron.analytics.models.modified_beta_geo import ModifiedBetaGeo
from patron.analytics.models.pareto_nbd import ParetoNBD
from patron.analytics.models.shifted_beta_geo import ShiftedBetaGeometric

__all__ = ["BetaGeo", "BetaGeoBetaBinom", "GammaGamma", "Model", "ModelError", "ModifiedBetaGeo", "ModifiedBetaGeoCNBD", "ParetoNBD",
           "ShiftedBetaGeometric"]
