"""Phone cases (one product per case line and phone, as shops list them) and watch bands.

A case line is written once with its facts and the phones it is made for; each
(line, phone) pair becomes one product whose pitch mentions what that phone needs.
Watch bands list ``strap_system`` + ``band_width_mm``; the generator finds the watches
they fit.
"""

from typing import Dict, List, Tuple

from bot.catalog.demo_data.base import Item, P

# Short phone names for case titles, and one fact a case for that phone has to respect.
PHONE_NOTES: Dict[str, Tuple[str, str]] = {
    "galaxy_s24": ("Galaxy S24", "leaves the three separate camera rings uncovered"),
    "galaxy_s24_plus": ("Galaxy S24+", "is sized for the 6.7-inch S24+ rather than the smaller S24"),
    "galaxy_s24_ultra": ("Galaxy S24 Ultra", "keeps the S Pen slot free and wraps the flat titanium edges"),
    "galaxy_s23_fe": ("Galaxy S23 FE", "fits the S23 FE's slightly thicker body, not the regular S23"),
    "galaxy_a54": ("Galaxy A54", "covers the A54's glass back and floating cameras"),
    "galaxy_z_flip5": ("Galaxy Z Flip5", "comes in two pieces so the hinge still folds flat"),
    "pixel_8": ("Pixel 8", "frames the full-width camera bar of the compact Pixel 8"),
    "pixel_8_pro": ("Pixel 8 Pro", "leaves the temperature sensor next to the cameras uncovered"),
    "pixel_8a": ("Pixel 8a", "matches the 8a's rounder corners, which Pixel 8 cases do not fit"),
    "iphone_15": ("iPhone 15", "has a cut-out for the USB-C port and the new camera layout"),
    "iphone_15_plus": ("iPhone 15 Plus", "is made for the 6.7-inch iPhone 15 Plus"),
    "iphone_15_pro": ("iPhone 15 Pro", "adds a button cover for the Action button"),
    "iphone_15_pro_max": ("iPhone 15 Pro Max", "clears the large tetraprism camera bump"),
    "iphone_14": ("iPhone 14", "fits the iPhone 14 and its Lightning port, not the iPhone 15"),
    "oneplus_12": ("OnePlus 12", "keeps the alert slider reachable"),
    "moto_g_power": ("Moto G Power (2024)", "fits the 2024 Moto G Power only"),
}

MAGSAFE_PHONES = {"iphone_15", "iphone_15_plus", "iphone_15_pro", "iphone_15_pro_max", "iphone_14"}

# (key prefix, brand, name pattern, base price, line pitch, phones, attributes)
CASE_LINES = [
    ("ultra_hybrid", "spigen", "Ultra Hybrid for {phone}", 16.99,
     "Spigen's Ultra Hybrid pairs a scratch-resistant clear back that resists yellowing with a shock-absorbing "
     "TPU bumper",
     ["galaxy_s24", "galaxy_s24_plus", "galaxy_s24_ultra", "galaxy_s23_fe", "pixel_8", "pixel_8_pro", "pixel_8a",
      "iphone_15", "iphone_15_pro", "iphone_15_pro_max", "iphone_14", "oneplus_12"],
     dict(material="polycarbonate and TPU", drop_protection_ft=6, weight_g=32,
          colours=["crystal clear", "matte black", "frost clear"], wireless_charging=True)),
    ("tough_armor", "spigen", "Tough Armor for {phone}", 21.99,
     "Tough Armor combines a polycarbonate shell with an impact foam layer and a built-in kickstand for "
     "watching videos",
     ["galaxy_s24", "galaxy_s24_ultra", "galaxy_a54", "pixel_8", "pixel_8_pro", "iphone_15", "iphone_15_pro"],
     dict(material="polycarbonate, TPU and impact foam", drop_protection_ft=10, weight_g=48,
          colours=["black", "gunmetal", "metal slate"], wireless_charging=True)),
    ("thin_fit", "spigen", "Thin Fit for {phone}", 13.99,
     "Thin Fit is a single-layer matte shell that adds barely a millimetre and slides easily in and out of "
     "pockets",
     ["galaxy_s24", "galaxy_z_flip5", "pixel_8a", "moto_g_power"],
     dict(material="polycarbonate", drop_protection_ft=4, weight_g=20, colours=["black", "sand beige"],
          wireless_charging=True)),
    ("defender", "otterbox", "Defender Series for {phone}", 59.95,
     "OtterBox's toughest case seals the ports with flaps inside a multi-layer shell and ships with a belt-clip "
     "holster",
     ["galaxy_s24", "galaxy_s24_ultra", "pixel_8", "pixel_8_pro", "iphone_15", "iphone_15_pro",
      "iphone_15_pro_max", "iphone_14"],
     dict(material="polycarbonate shell with synthetic rubber slipcover", drop_protection_ft=13, weight_g=85,
          colours=["black", "blue", "teal"], wireless_charging=True)),
    ("symmetry", "otterbox", "Symmetry Series for {phone}", 49.95,
     "Symmetry is OtterBox's slim one-piece case with raised edges and an antimicrobial coating",
     ["galaxy_s24", "galaxy_s24_plus", "galaxy_s24_ultra", "galaxy_z_flip5", "pixel_8", "pixel_8a",
      "iphone_15", "iphone_15_pro", "iphone_14"],
     dict(material="polycarbonate and synthetic rubber", drop_protection_ft=6, weight_g=40,
          colours=["black", "clear", "blue", "pink"], wireless_charging=True)),
    ("apple_silicone", "apple", "Silicone Case with MagSafe for {phone}", 49,
     "Apple's silicone case has a soft microfibre lining, built-in MagSafe magnets and a shutter animation when "
     "it snaps on",
     ["iphone_15", "iphone_15_plus", "iphone_15_pro", "iphone_15_pro_max"],
     dict(material="silicone with microfibre lining", drop_protection_ft=4, weight_g=30,
          colours=["black", "storm blue", "clay", "light pink", "cypress"], wireless_charging=True)),
    ("samsung_silicone", "samsung", "Silicone Case for {phone}", 34.99,
     "Samsung's own soft-touch silicone case follows every curve of the phone and comes in the phone's launch "
     "colours",
     ["galaxy_s24", "galaxy_s24_plus", "galaxy_s24_ultra"],
     dict(material="silicone", drop_protection_ft=3, weight_g=28, colours=["black", "violet", "yellow"],
          wireless_charging=True)),
    ("google_case", "google", "{phone} Case", 29,
     "Google's own case is made from recycled materials with a soft silicone-like finish",
     ["pixel_8", "pixel_8_pro", "pixel_8a"],
     dict(material="recycled polyurethane", drop_protection_ft=4, weight_g=30,
          colours=["charcoal", "rose", "mint", "bay"], wireless_charging=True)),
]

_PRICE_STEP = {"pro_max": 3.0, "ultra": 3.0, "plus": 2.0, "pro": 2.0, "fold": 5.0, "flip": 2.0}


def _case_price(base: float, phone: str) -> float:
    for token, extra in _PRICE_STEP.items():
        if token in phone:
            return round(base + extra, 2)
    return base


def build_cases() -> List[Item]:
    """One Item per (case line, phone) pair, in table order."""
    items: List[Item] = []
    for prefix, brand, pattern, base, line_pitch, phones, attrs in CASE_LINES:
        for phone in phones:
            short, note = PHONE_NOTES[phone]
            case_attrs = dict(attrs)
            magsafe = phone in MAGSAFE_PHONES and prefix in ("ultra_hybrid", "defender", "symmetry",
                                                              "apple_silicone")
            case_attrs["magsafe"] = magsafe
            name = pattern.format(phone=short)
            if magsafe and prefix != "apple_silicone":
                name = name.replace(" for ", " MagSafe for " if prefix == "ultra_hybrid" else " with MagSafe for ")
            pitch = f"{line_pitch}; this version {note}."
            items.append(P(f"case_{prefix}_{phone}", brand, name, _case_price(base, phone), pitch,
                           fits=(phone,), pop=0.35, **case_attrs))
    return items


CASES = build_cases()

WATCH_BANDS = [
    P("garmin_quickfit_22_silicone", "garmin", "QuickFit 22 Silicone Band", 49.99,
      "Click-in QuickFit lugs swap the band in seconds, no tools needed, and the silicone shrugs off sweat.",
      aliases=["QuickFit 22", "Garmin QuickFit band"], pop=0.6, band_width_mm=22,
      strap_system="Garmin QuickFit", material="silicone", colours=["black", "graphite", "flame red"]),
    P("garmin_quickfit_22_nylon", "garmin", "QuickFit 22 Nylon Band", 59.99,
      "A soft hook-and-loop nylon strap that breathes on long mountain days and dries quickly.",
      aliases=["QuickFit 22 nylon"], pop=0.4, band_width_mm=22, strap_system="Garmin QuickFit",
      material="nylon", colours=["black", "ember orange", "whitestone"]),
    P("garmin_quickfit_20_silicone", "garmin", "QuickFit 20 Silicone Band", 49.99,
      "The 20 mm QuickFit band for the smaller Fenix models, in colours that match the bezels.",
      aliases=["QuickFit 20"], pop=0.3, band_width_mm=20, strap_system="Garmin QuickFit",
      material="silicone", colours=["white", "black", "light sand"]),
    P("garmin_quickfit_26_titanium", "garmin", "QuickFit 26 Titanium Band", 249.99,
      "Brushed titanium links turn a Fenix 7X into a watch that works with a suit.",
      aliases=["QuickFit 26 titanium", "Garmin titanium band"], pop=0.2, band_width_mm=26,
      strap_system="Garmin QuickFit", material="titanium", colours=["titanium"]),
    P("garmin_qr_22_silicone", "garmin", "Quick Release 22 Silicone Band", 29.99,
      "Garmin's spring-bar quick release band for 22 mm Forerunner, Instinct and Venu watches.",
      aliases=["Garmin 22mm band", "Quick Release 22"], pop=0.7, band_width_mm=22,
      strap_system="quick release pins", material="silicone", colours=["black", "whitestone", "aqua", "tidal blue"]),
    P("garmin_qr_20_silicone", "garmin", "Quick Release 20 Silicone Band", 29.99,
      "A 20 mm band with a pin-and-tuck closure that fits the Forerunner 165, Forerunner 55 and Venu Sq 2.",
      aliases=["Garmin 20mm band", "Quick Release 20"], pop=0.5, band_width_mm=20,
      strap_system="quick release pins", material="silicone", colours=["black", "mist grey", "turquoise"]),
    P("garmin_qr_18_silicone", "garmin", "Quick Release 18 Silicone Band", 29.99,
      "The narrow 18 mm band made for the Forerunner 265S and 255S.",
      aliases=["Garmin 18mm band", "Quick Release 18"], pop=0.4, band_width_mm=18,
      strap_system="quick release pins", material="silicone", colours=["black", "light pink", "whitestone"]),
    P("apple_sport_band_41", "apple", "Sport Band (41 mm)", 49,
      "Apple's fluoroelastomer Sport Band closes with a pin-and-tuck and comes in two lengths in the box.",
      aliases=["Apple Sport Band 41mm", "Sport Band 41"], pop=0.8, band_width_mm=20,
      strap_system="Apple Watch 41 mm", material="fluoroelastomer",
      colours=["midnight", "storm blue", "light pink", "winter blue"]),
    P("apple_sport_band_45", "apple", "Sport Band (45 mm)", 49,
      "The larger Sport Band fits 44 mm, 45 mm and 49 mm Apple Watch cases.",
      aliases=["Apple Sport Band 45mm", "Sport Band 45"], pop=0.8, band_width_mm=22,
      strap_system="Apple Watch 45 mm", material="fluoroelastomer",
      colours=["midnight", "storm blue", "clay", "guava"]),
    P("apple_sport_loop_41", "apple", "Sport Loop (41 mm)", 49,
      "A breathable woven nylon loop with a hook-and-loop fastener that adjusts in tiny steps.",
      aliases=["Sport Loop 41"], pop=0.5, band_width_mm=20, strap_system="Apple Watch 41 mm",
      material="woven nylon", colours=["midnight", "plum", "pacific blue"]),
    P("apple_sport_loop_45", "apple", "Sport Loop (45 mm)", 49,
      "The soft double-layer Sport Loop for larger cases, popular for sleep tracking.",
      aliases=["Sport Loop 45"], pop=0.5, band_width_mm=22, strap_system="Apple Watch 45 mm",
      material="woven nylon", colours=["midnight", "plum", "pacific blue"]),
    P("apple_alpine_loop", "apple", "Alpine Loop (49 mm)", 99,
      "Two textile layers woven together and a titanium G-hook make the Alpine Loop the Ultra's signature band.",
      aliases=["Alpine Loop"], pop=0.3, band_width_mm=22, strap_system="Apple Watch 45 mm",
      material="textile with titanium hook", colours=["orange", "olive", "indigo"]),
    P("samsung_sport_band_20", "samsung", "Galaxy Watch Sport Band (20 mm)", 49.99,
      "Samsung's one-click band for Galaxy Watch6 and Watch5 also fits any 20 mm quick release watch.",
      aliases=["Samsung sport band"], pop=0.5, band_width_mm=20,
      strap_system="quick release pins", material="fluoroelastomer", colours=["graphite", "silver", "sapphire"]),
    P("pixel_watch_active_band", "google", "Pixel Watch Active Band", 49.99,
      "A sweat-proof fluoroelastomer band that twists and clicks into the Pixel Watch's own latch.",
      aliases=["Pixel Active Band"], pop=0.5, band_width_mm=20, strap_system="Pixel Watch",
      material="fluoroelastomer", colours=["obsidian", "porcelain", "bay", "hazel"]),
    P("pixel_watch_woven_band", "google", "Pixel Watch Woven Band", 59.99,
      "A stretchy recycled-yarn band for the Pixel Watch that needs no buckle at all.",
      aliases=["Pixel Watch woven"], pop=0.3, band_width_mm=20, strap_system="Pixel Watch",
      material="recycled yarn", colours=["fog", "chalk", "coral"]),
    P("fitbit_infinity_band", "fitbit", "Infinity Band for Sense 2 / Versa 4", 34.95,
      "The Infinity Band's tuck-in loop keeps a Sense 2 or Versa 4 snug without a buckle to catch on sleeves.",
      aliases=["Fitbit Infinity Band"], pop=0.4, band_width_mm=23,
      strap_system="Fitbit Sense/Versa", material="silicone", colours=["black", "blue mist", "pink sand"]),
    P("fitbit_inspire_band", "fitbit", "Inspire 3 Accessory Band", 24.95,
      "A replacement silicone band for the Inspire 3 tracker in three colours.",
      aliases=["Fitbit Inspire band"], pop=0.3, strap_system="Fitbit Inspire", material="silicone",
      colours=["black", "lilac bliss", "deep sea"]),
    P("polar_wristband_20", "polar", "20 mm Silicone Wristband", 29.9,
      "Polar's soft 20 mm wristband with a pin buckle, made for the Pacer Pro and other 20 mm watches.",
      aliases=["Polar 20mm band"], pop=0.3, band_width_mm=20, strap_system="quick release pins",
      material="silicone", colours=["black", "white", "maroon"]),
    P("polar_wristband_22", "polar", "22 mm Silicone Wristband", 29.9,
      "A 22 mm Polar band with a two-tone design, for the Vantage V3 and Grit X2 Pro.",
      aliases=["Polar 22mm band"], pop=0.3, band_width_mm=22, strap_system="quick release pins",
      material="silicone", colours=["black and grey", "blue and white"]),
    P("coros_nylon_22", "coros", "22 mm Nylon Band", 29,
      "The light hook-and-loop nylon band that ships with the Pace 3, for any 22 mm watch.",
      aliases=["Coros nylon band"], pop=0.4, band_width_mm=22, strap_system="quick release pins",
      material="nylon", colours=["black", "white", "blue"]),
    P("coros_nylon_26", "coros", "26 mm Nylon Band", 49,
      "A wide nylon strap that spreads the weight of a Vertix 2 on long expeditions.",
      aliases=["Coros 26mm band"], pop=0.2, band_width_mm=26, strap_system="quick release pins",
      material="nylon", colours=["black", "grey"]),
    P("suunto_athletic_22", "suunto", "22 mm Athletic 1 Silicone Strap", 49,
      "Suunto's perforated silicone strap keeps the wrist cool during races.",
      aliases=["Suunto 22mm strap"], pop=0.3, band_width_mm=22, strap_system="quick release pins",
      material="silicone", colours=["black", "lime", "coral"]),
    P("suunto_textile_24", "suunto", "24 mm Athletic 4 Textile Strap", 59,
      "A recycled-textile strap for the Suunto Vertical that stays comfortable over gloves and jacket cuffs.",
      aliases=["Suunto 24mm strap"], pop=0.2, band_width_mm=24, strap_system="quick release pins",
      material="textile", colours=["black", "moss"]),
]
