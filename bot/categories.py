"""The category taxonomy shared by the ledger, statistics and evaluation."""

CATEGORIES: dict[str, str] = {
    "land": "土地",
    "marriage_family": "婚姻家庭",
    "labor": "劳动",
    "debt_contract": "借贷合同",
    "traffic": "交通事故",
    "tort_neighbor": "侵权与邻里",
    "social_security": "社会保障",
    "criminal": "刑事治安",
    "administrative": "行政",
    "other": "其他",
}

SMALLTALK = "smalltalk"


def category_label(code: str | None) -> str:
    """Chinese label for a category code; unknown codes are shown as-is."""
    if code is None:
        return "未分类"
    return CATEGORIES.get(code, code)
