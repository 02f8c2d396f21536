"""Names a customer reads (the program, tiers, rewards, the paid plan) in the portal's language, with the shop's
own name where a language has none; the built-in gift rewards come named in the five languages."""

import pytest

from patron.campaigns import steps
from patron.campaigns.models import Journey
from patron.loyalty.models import Reward

pytestmark = pytest.mark.django_db


def test_the_portal_names_rewards_tiers_and_the_plan_in_its_language(shop, signed_in):
    shop["program"].names = {"lv": "Zvaigznes", "et": "Tähed"}
    shop["program"].save()
    shop["gold"].names = {"lv": "Zelta", "et": "Kuld"}
    shop["gold"].save()
    shop["coffee"].names = {"lv": "Bezmaksas kafija", "et": "Tasuta kohv"}
    shop["coffee"].save()
    shop["golden"].names = {"lv": "Degustācijas vakars"}
    shop["golden"].save()
    shop["plan"].names = {"et": "Tähed Pluss"}
    shop["plan"].save()
    client = signed_in(shop["jonas"])
    client.post("/portal/language/", {"language": "lv"})
    rewards = client.get("/portal/rewards/").content.decode()
    assert "Zvaigznes" in rewards and "Degustācijas vakars" in rewards and "no līmeņa „Zelta“" in rewards
    assert "Stars" not in rewards and "Tasting evening" not in rewards
    client.post("/portal/language/", {"language": "et"})
    assert "Tähed Pluss" in client.get("/portal/membership/").content.decode()
    rewards = client.get("/portal/rewards/").content.decode()
    assert "Tasting evening" in rewards  # no Estonian name given: the shop's own


def test_the_built_in_gift_rewards_are_named_in_five_languages(shop):
    journey = Journey(key="birthday")
    reward = steps.reward_of({"reward": "Birthday gift"}, journey)
    assert Reward.objects.get(pk=reward.pk).name_in("lt") == "Gimtadienio dovana"
    assert reward.name_in("ka") == "დაბადების დღის საჩუქარი" and reward.name_in("en") == "Birthday gift"
