"""The languages of the large parallel benchmarks (Global-MMLU, MMLU-ProX, Belebele) as crossin codes.

crossin's codes are ISO 639-1 where the language has one (Filipino `fil`, as everywhere in crossin), else ISO
639-3; a FLORES-200 code (`zho_Hans`, ISO 639-3 + script) maps to the code of its language in its usual script,
and a second script of the same language gets `<code>-<Script>` (`zh-Hant`, `hi-Latn`). Arabic varieties without
an ISO 639-1 code keep their ISO 639-3 code (`arz` Egyptian Arabic). Macrolanguage members map to the
macrolanguage's ISO 639-1 code where Belebele has only that member (`zsm` -> `ms`, `pes` -> `fa`, `npi` -> `ne`).
"""

from __future__ import annotations

# code -> English name, for every language these benchmarks have beyond crossin's SeaEval languages.
MORE_LANGS: dict[str, str] = {
    "acm": "Mesopotamian Arabic", "af": "Afrikaans", "am": "Amharic", "apc": "Levantine Arabic", "ar-Latn":
    "Arabic (Latin script)", "ars": "Najdi Arabic", "ary": "Moroccan Arabic", "arz": "Egyptian Arabic", "as":
    "Assamese", "az": "Azerbaijani", "bm": "Bambara", "bn": "Bengali", "bn-Latn": "Bengali (Latin script)", "bo":
    "Tibetan", "bg": "Bulgarian", "ca": "Catalan", "ceb": "Cebuano", "cs": "Czech", "ckb": "Central Kurdish", "da":
    "Danish", "et": "Estonian", "eu": "Basque", "fa": "Persian", "fi": "Finnish", "ff": "Fulfulde", "om": "Oromo",
    "gn": "Guarani", "gu": "Gujarati", "ht": "Haitian Creole", "ha": "Hausa", "he": "Hebrew", "hi-Latn":
    "Hindi (Latin script)", "hr": "Croatian", "hu": "Hungarian", "hy": "Armenian", "ig": "Igbo", "ilo": "Ilocano",
    "is": "Icelandic", "jv": "Javanese", "kac": "Jingpho", "kn": "Kannada", "ka": "Georgian", "kk": "Kazakh", "kea":
    "Kabuverdianu", "mn": "Mongolian", "km": "Khmer", "rw": "Kinyarwanda", "ky": "Kyrgyz", "lo": "Lao", "ln":
    "Lingala", "lt": "Lithuanian", "lg": "Ganda", "luo": "Luo", "lv": "Latvian", "ml": "Malayalam", "mr": "Marathi",
    "mk": "Macedonian", "mt": "Maltese", "mi": "Maori", "my": "Burmese", "nl": "Dutch", "nb": "Norwegian Bokmal",
    "ne": "Nepali", "ne-Latn": "Nepali (Latin script)", "nso": "Northern Sotho", "ny": "Chichewa", "or": "Odia",
    "pa": "Punjabi", "ps": "Pashto", "mg": "Malagasy", "pl": "Polish", "shn": "Shan", "si": "Sinhala", "si-Latn":
    "Sinhala (Latin script)", "sk": "Slovak", "sl": "Slovenian", "sn": "Shona", "sd": "Sindhi", "so": "Somali",
    "st": "Southern Sotho", "sq": "Albanian", "sr": "Serbian", "ss": "Swati", "su": "Sundanese", "sv": "Swedish",
    "sw": "Swahili", "ta": "Tamil", "te": "Telugu", "tg": "Tajik", "ti": "Tigrinya", "tn": "Tswana", "ts": "Tsonga",
    "uk": "Ukrainian", "ur": "Urdu", "ur-Latn": "Urdu (Latin script)", "uz": "Uzbek", "war": "Waray", "wo": "Wolof",
    "xh": "Xhosa", "yo": "Yoruba", "zh-Hant": "Chinese (Traditional)", "zu": "Zulu",
}

# FLORES-200 code (Belebele's configs and lm-eval's belebele_<code> tasks) -> crossin code; all 122 of Belebele.
FLORES: dict[str, str] = {
    "acm_Arab": "acm", "afr_Latn": "af", "als_Latn": "sq", "amh_Ethi": "am", "apc_Arab": "apc", "arb_Arab": "ar",
    "arb_Latn": "ar-Latn", "ars_Arab": "ars", "ary_Arab": "ary", "arz_Arab": "arz", "asm_Beng": "as",
    "azj_Latn": "az", "bam_Latn": "bm", "ben_Beng": "bn", "ben_Latn": "bn-Latn", "bod_Tibt": "bo",
    "bul_Cyrl": "bg", "cat_Latn": "ca", "ceb_Latn": "ceb", "ces_Latn": "cs", "ckb_Arab": "ckb", "dan_Latn": "da",
    "deu_Latn": "de", "ell_Grek": "el", "eng_Latn": "en", "est_Latn": "et", "eus_Latn": "eu", "fin_Latn": "fi",
    "fra_Latn": "fr", "fuv_Latn": "ff", "gaz_Latn": "om", "grn_Latn": "gn", "guj_Gujr": "gu", "hat_Latn": "ht",
    "hau_Latn": "ha", "heb_Hebr": "he", "hin_Deva": "hi", "hin_Latn": "hi-Latn", "hrv_Latn": "hr",
    "hun_Latn": "hu", "hye_Armn": "hy", "ibo_Latn": "ig", "ilo_Latn": "ilo", "ind_Latn": "id", "isl_Latn": "is",
    "ita_Latn": "it", "jav_Latn": "jv", "jpn_Jpan": "ja", "kac_Latn": "kac", "kan_Knda": "kn", "kat_Geor": "ka",
    "kaz_Cyrl": "kk", "kea_Latn": "kea", "khk_Cyrl": "mn", "khm_Khmr": "km", "kin_Latn": "rw", "kir_Cyrl": "ky",
    "kor_Hang": "ko", "lao_Laoo": "lo", "lin_Latn": "ln", "lit_Latn": "lt", "lug_Latn": "lg", "luo_Latn": "luo",
    "lvs_Latn": "lv", "mal_Mlym": "ml", "mar_Deva": "mr", "mkd_Cyrl": "mk", "mlt_Latn": "mt", "mri_Latn": "mi",
    "mya_Mymr": "my", "nld_Latn": "nl", "nob_Latn": "nb", "npi_Deva": "ne", "npi_Latn": "ne-Latn",
    "nso_Latn": "nso", "nya_Latn": "ny", "ory_Orya": "or", "pan_Guru": "pa", "pbt_Arab": "ps", "pes_Arab": "fa",
    "plt_Latn": "mg", "pol_Latn": "pl", "por_Latn": "pt", "ron_Latn": "ro", "rus_Cyrl": "ru", "shn_Mymr": "shn",
    "sin_Latn": "si-Latn", "sin_Sinh": "si", "slk_Latn": "sk", "slv_Latn": "sl", "sna_Latn": "sn", "snd_Arab": "sd",
    "som_Latn": "so", "sot_Latn": "st", "spa_Latn": "es", "srp_Cyrl": "sr", "ssw_Latn": "ss", "sun_Latn": "su",
    "swe_Latn": "sv", "swh_Latn": "sw", "tam_Taml": "ta", "tel_Telu": "te", "tgk_Cyrl": "tg", "tgl_Latn": "fil",
    "tha_Thai": "th", "tir_Ethi": "ti", "tsn_Latn": "tn", "tso_Latn": "ts", "tur_Latn": "tr", "ukr_Cyrl": "uk",
    "urd_Arab": "ur", "urd_Latn": "ur-Latn", "uzn_Latn": "uz", "vie_Latn": "vi", "war_Latn": "war",
    "wol_Latn": "wo", "xho_Latn": "xh", "yor_Latn": "yo", "zho_Hans": "zh", "zho_Hant": "zh-Hant",
    "zsm_Latn": "ms", "zul_Latn": "zu",
}
FLORES_OF: dict[str, str] = {code: flores for flores, code in FLORES.items()}
