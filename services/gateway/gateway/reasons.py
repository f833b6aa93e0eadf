"""Field errors in Chinese for the pages: marshmallow's standard messages and the services' own reasons. Pure.

The JSON API keeps the English, machine-readable ``fields`` as the services give them; only a page words a
reason for a person. A reason nobody translated yet is shown as written: never an error of its own.
"""

from __future__ import annotations

import re
from collections.abc import Callable

#: reasons given word for word (marshmallow's defaults, then the services' own)
EXACT = {
    "Missing data for required field.": "必填",
    "Field may not be null.": "不能为空",
    "Invalid value.": "填写不正确",
    "Invalid input.": "填写不正确",
    "Invalid type.": "类型不正确",
    "Invalid input type.": "类型不正确",
    "Unknown field.": "不是可填写的项目",
    "String does not match expected pattern.": "格式不正确",
    "Not a valid string.": "应为文字",
    "Not a valid utf-8 string.": "含有无法识别的字符",
    "Not a valid number.": "应为数字",
    "Not a valid integer.": "应为整数",
    "Not a valid boolean.": "应为“是”或“否”",
    "Not a valid list.": "应为列表",
    "Not a valid mapping type.": "格式不正确",
    "Not a valid date.": "不是有效的日期",
    "Not a valid datetime.": "不是有效的日期时间",
    "Not a valid email address.": "不是有效的电子邮箱",
    "Not a valid URL.": "不是有效的网址",
    "Number too large.": "数值过大",
    "Special numeric values (nan or infinity) are not permitted.": "不是有效的数字",
    # the services' own validators
    "required": "必填",
    "missing": "缺少",
    "empty": "不能为空",
    "unknown tenant": "没有这个单位",
    "unknown item": "没有这个事项",
    "not a mobile number": "不是有效的手机号码",
    "not a mainland mobile number": "不是有效的手机号码",
    "not a mainland mobile number (11 digits starting 13-19)": "不是有效的手机号码（应为 13 至 19 开头的 11 位数字）",
    "not a valid resident ID number (checksum)": "不是有效的居民身份证号码（校验位不符）",
    "not a valid unified social credit code (checksum)": "不是有效的统一社会信用代码（校验位不符）",
    "a sha256 hex digest of the file": "上传的文件无法识别，请重新上传",
    "letters, digits, . _ - only": "只能包含字母、数字和 . _ -",
    "lower-case letters, digits and - only": "只能包含小写字母、数字和 -",
    "a whole number": "应为整数",
    "a number": "应为数字",
    "true or false": "应为“是”或“否”",
    "rated once": "已评议过，每件只评一次",
    "same post": "已在该岗位",
    "required when rejecting": "不予许可时必须填写",
    "a plate is listed twice": "号牌重复",
    "a list of one or more vehicle plates": "应填写一个或多个车辆号牌",
    "a correction re-submits at least one material": "补正至少提交一份材料",
}

COMPARISONS = {"greater than or equal to": "不小于", "greater than": "大于",
               "less than or equal to": "不大于", "less than": "小于"}
_COMPARED = "|".join(COMPARISONS)  # longest first: "greater than or equal to" before "greater than"

#: reasons with a figure or a name in them: a pattern and the Chinese built from its groups
PATTERNS: tuple[tuple[re.Pattern[str], Callable[[re.Match[str]], str]], ...] = (
    (re.compile(r"Shorter than minimum length (\d+)\."),
     lambda m: "必填" if m[1] == "1" else f"不能少于 {m[1]} 个字"),
    (re.compile(r"Longer than maximum length (\d+)\."), lambda m: f"不能超过 {m[1]} 个字"),
    (re.compile(r"Length must be between (\d+) and (\d+)\."), lambda m: f"应为 {m[1]} 至 {m[2]} 个字"),
    (re.compile(r"Length must be (\d+)\."), lambda m: f"应为 {m[1]} 个字"),
    (re.compile(rf"Must be ({_COMPARED}) (\S+) and ({_COMPARED}) (\S+)\."),
     lambda m: f"应{COMPARISONS[m[1]]} {m[2]}，且{COMPARISONS[m[3]]} {m[4]}"),
    (re.compile(rf"Must be ({_COMPARED}) (\S+)\."), lambda m: f"应{COMPARISONS[m[1]]} {m[2]}"),
    (re.compile(r"Must be one of: (.+)\."), lambda m: f"应为以下之一：{m[1]}"),
    (re.compile(r"Must be equal to (.+)\."), lambda m: f"应为 {m[1]}"),
    (re.compile(r"missing: (.+)"), lambda m: f"缺少{m[1]}"),
    (re.compile(r"item (\S+) is not accepting applications"), lambda m: f"事项 {m[1]} 暂停受理"),
    (re.compile(r"not a field of item (\S+)"), lambda m: f"不是事项 {m[1]} 的填写项"),
    (re.compile(r"unknown tenant; one of (.+)"), lambda m: f"没有这个单位（可选：{m[1]}）"),
    (re.compile(r"one of (.+)"), lambda m: f"应为以下之一：{m[1]}"),
)


def in_chinese(reason: str) -> str:
    """One field error as a page shows it: 必填, 不能超过 100 个字; an unknown reason as written."""
    text = str(reason).strip()
    if text in EXACT:
        return EXACT[text]
    for pattern, word in PATTERNS:
        found = pattern.fullmatch(text)
        if found:
            return word(found)
    return text
