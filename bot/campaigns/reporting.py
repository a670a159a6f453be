"""Per-variant numbers of a campaign: customers shown, click-through and conversion rates
with 95% Wilson intervals, and the probability each variant beats control (Beta
posteriors, seeded Monte Carlo: ``stats``). Bandit mode adds the traffic share the
bandit would give each variant now. Used by the CLI (``report``) and the staff console.

The holdout is the baseline: ``Baseline`` compares the share of held-out customers who
bought an offered product within the window after they were held out with the share of
customers shown the card who bought one within the window after seeing it (clicked or
not), and the probability that showing the card raised it. Only customers who accept
offers can be shown the card, so only held-out customers who accept them count (shoppers
who opted in to offers may buy differently from those who did not).

``no_marketing``: how many of the audience (the segment a message was written for) have
not opted in to offers right now (``bot.privacy.marketing``): they get no card and no
e-mail until they do.
"""

from dataclasses import asdict, dataclass
from typing import Any, Dict, List, Optional, Tuple

from bot.campaigns.bandit import ThompsonBandit
from bot.campaigns.model import Campaign
from bot.campaigns.stats import prob_beats, rate, wilson
from bot.campaigns.store import CampaignStore, VariantCounts


@dataclass(frozen=True)
class VariantReport:
    variant: str
    control: bool
    impressions: int
    clicks: int
    conversions: int
    ctr: Optional[float]
    ctr_ci: Tuple[float, float]
    conversion_rate: Optional[float]
    conversion_ci: Tuple[float, float]
    p_beats_control_ctr: Optional[float]         # None for control itself, or without data
    p_beats_control_conversion: Optional[float]
    bandit_share: Optional[float] = None


@dataclass(frozen=True)
class Baseline:
    holdout: int
    holdout_bought: int
    holdout_rate: Optional[float]
    holdout_ci: Tuple[float, float]
    shown: int
    shown_bought: int
    shown_rate: Optional[float]
    shown_ci: Tuple[float, float]
    p_shown_beats_holdout: Optional[float]


@dataclass(frozen=True)
class CampaignReport:
    campaign_id: str
    name: str
    mode: str
    status: str
    audience: int
    holdout: int
    variants: List[VariantReport]
    paths: Dict[str, int]
    baseline: Optional[Baseline] = None
    no_marketing: int = 0  # of the audience: not opted in to offers now (no card, no e-mail)

    @property
    def reachable(self) -> int:
        return self.audience - self.no_marketing

    def to_dict(self) -> Dict[str, Any]:
        return {**asdict(self), "reachable": self.reachable}


def variant_rows(campaign: Campaign, counts: Dict[str, VariantCounts],
                 shares: Optional[Dict[str, float]] = None) -> List[VariantReport]:
    control = counts.get(campaign.control_variant, VariantCounts(campaign.control_variant))
    rows = []
    for name in campaign.variant_names:
        c = counts.get(name, VariantCounts(name))
        is_control = name == campaign.control_variant
        rows.append(VariantReport(
            variant=name, control=is_control, impressions=c.impressions, clicks=c.clicks,
            conversions=c.conversions, ctr=rate(c.clicks, c.impressions), ctr_ci=wilson(c.clicks, c.impressions),
            conversion_rate=rate(c.conversions, c.impressions), conversion_ci=wilson(c.conversions, c.impressions),
            p_beats_control_ctr=None if is_control else prob_beats(c.clicks, c.impressions, control.clicks,
                                                                   control.impressions),
            p_beats_control_conversion=None if is_control else prob_beats(
                c.conversions, c.impressions, control.conversions, control.impressions),
            bandit_share=(shares or {}).get(name)))
    return rows


def report(store: CampaignStore, campaign: Campaign) -> CampaignReport:
    counts = store.counts(campaign)
    shares = None
    if campaign.mode == "bandit":
        shares = ThompsonBandit.of(campaign.variant_names, store.arms(campaign.id)).shares()
    paths: Dict[str, int] = {}
    for message in store.messages(campaign.id):
        paths[message.path] = paths.get(message.path, 0) + 1
    from bot.privacy.marketing import marketing_of

    audience = store.audience(campaign.id)
    no_marketing = sum(1 for allowed in marketing_of(store.db, audience).values() if not allowed)
    return CampaignReport(campaign.id, campaign.name, campaign.mode, campaign.status, len(audience),
                          store.holdout_size(campaign.id), variant_rows(campaign, counts, shares), paths,
                          baseline(store, campaign), no_marketing)


def baseline(store: CampaignStore, campaign: Campaign) -> Baseline:
    from bot.campaigns.store import IMPRESSION

    products = campaign.all_product_ids()
    from bot.privacy.marketing import marketing_of

    held = store.holdout_starts(campaign.id)
    reachable = marketing_of(store.db, held)
    held = {customer: at for customer, at in held.items() if reachable.get(customer)}
    shown = {customer: at for customer, (_, at) in store.first_events(campaign.id, IMPRESSION).items()}
    held_bought = len(store.bought_after(held, products, campaign.conversion_days))
    shown_bought = len(store.bought_after(shown, products, campaign.conversion_days))
    return Baseline(len(held), held_bought, rate(held_bought, len(held)), wilson(held_bought, len(held)),
                    len(shown), shown_bought, rate(shown_bought, len(shown)), wilson(shown_bought, len(shown)),
                    prob_beats(shown_bought, len(shown), held_bought, len(held)))


def percent(value: Optional[float]) -> str:
    return "–" if value is None else f"{100 * value:.1f}%"


def text_table(rep: CampaignReport) -> str:
    lines = [f"{rep.campaign_id} ({rep.mode}, {rep.status}): audience {rep.audience} "
             f"({rep.no_marketing} without marketing consent, not reached), holdout {rep.holdout}; "
             f"messages {', '.join(f'{k} {v}' for k, v in sorted(rep.paths.items())) or 'none'}",
             f"{'variant':<14}{'shown':>7}{'clicks':>7}{'CTR':>8}  {'95% CI':<16}{'conv':>6}{'rate':>8}  "
             f"{'95% CI':<16}{'P>ctl CTR':>10}{'P>ctl conv':>11}" + ("  share" if rep.mode == "bandit" else "")]
    for v in rep.variants:
        ci = f"{percent(v.ctr_ci[0])}–{percent(v.ctr_ci[1])}"
        cci = f"{percent(v.conversion_ci[0])}–{percent(v.conversion_ci[1])}"
        name = v.variant + (" *" if v.control else "")
        line = (f"{name:<14}{v.impressions:>7}{v.clicks:>7}{percent(v.ctr):>8}  {ci:<16}{v.conversions:>6}"
                f"{percent(v.conversion_rate):>8}  {cci:<16}{percent(v.p_beats_control_ctr):>10}"
                f"{percent(v.p_beats_control_conversion):>11}")
        if rep.mode == "bandit":
            line += f"  {percent(v.bandit_share)}"
        lines.append(line)
    lines.append("* control")
    b = rep.baseline
    if b is not None:
        lines.append(f"bought an offered product within the window: shown {b.shown_bought}/{b.shown} "
                     f"({percent(b.shown_rate)}), holdout {b.holdout_bought}/{b.holdout} ({percent(b.holdout_rate)}); "
                     f"P(shown > holdout) {percent(b.p_shown_beats_holdout)}")
    return "\n".join(lines)
