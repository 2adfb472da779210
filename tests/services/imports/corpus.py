"""A fixed corpus of malformed import files, generated from a seed (the same files every run).

    python -m tests.services.imports.corpus DIR [--count N]

Each file starts from a valid export (CSV in an encoding Excel, WPS or a web shop uses, or an
XLSX) and is damaged the ways real files are: cells replaced by what Excel or a careless edit
puts there, header cells dropped, duplicated or renamed, rows cut or padded, bytes cut off or
flipped, encodings a Chinese shop never meant, XML a crashed writer left behind. Order nos are
``F<file>R<row>`` so a test can tell which row an imported order came from.
"""

from __future__ import annotations

import argparse
import random
from collections.abc import Callable
from datetime import datetime
from pathlib import Path

from .files import Date, Formula, RawXml, sheet_xml, write_xlsx

HEADER = ["订单号", "下单时间", "商品", "商品类型", "数量", "原价", "优惠券", "积分", "实付金额", "状态", "支付时间",
          "发货时间", "支付方式", "网关", "交易号", "买家", "卡密已使用"]
NASTY: list[object] = [
    "", " ", "²", "①", "٣", "12,34", "1,234.50", "-5", "6.001", "1e5", "2.02611E+17", "99999999999999999999",
    "9223372036854775808", "9999-12-31T23:59:59-12:00", "0001-01-01", "2026-02-30 09:00", "46344.375",
    "2026/11/18 下午 13:05", "2026年11月18日 9:05", "上午", "KS\x00", "KS\u200b1", "\u202eKS", "\ufeff", "\x7f",
    "#DIV/0!", "#N/A", "null", "None", "NaN", "inf", "已退款", "部分退款", "refunded", "待支付", "已取消", "是", "maybe",
    "卡密", "礼品", "direct_recharge", "wallet", "银联", '"', '""', "a\nb", "a\rb", "x" * 300, "长" * 70,
    "🎮", "\ud7ff", "0", "10001", "１２", "¥", "￥6", "6元", "=1+1", "@SUM(A1)", "\t",
]
XLSX_NASTY: list[object] = [
    2.026111809000124e17, 13800138000, 1e308, -1.5, 0.1 + 0.2, True, False, 46344.375,
    Date(datetime(2026, 11, 18, 9, 0)), Date(datetime(1900, 1, 1)), Formula("1/0", "#DIV/0!"), Formula("A1", 6.0),
    RawXml('<c r="{ref}" t="e"><v>#REF!</v></c>'), RawXml('<c r="{ref}" t="s"><v>99</v></c>'),
    RawXml('<c r="{ref}" t="d"><v>2026-11-18T09:00:00</v></c>'), RawXml('<c r="{ref}" t="n"><v>abc</v></c>'),
    RawXml('<c r="{ref}" t="b"><v>7</v></c>'), RawXml('<c r="{ref}" s="999"><v>1</v></c>'),
]
STATUS = ["待支付", "已支付", "已发货", "已完成", "已取消", "已退款"]


def base_rows(file: int, rng: random.Random, count: int) -> list[list[object]]:
    """Valid rows of one file: every status, paid and delivery times where they belong."""
    rows: list[list[object]] = []
    for r in range(2, count + 2):
        status = rng.choice(STATUS)
        paid = status not in ("待支付", "已取消")
        delivered = status in ("已发货", "已完成", "已退款")
        rows.append([f"F{file:03d}R{r:05d}", "2026-11-18 09:00", rng.choice(["点券 60", "话费 50元", "月卡"]),
                     rng.choice(["卡密", "直充", "实物"]), "1", "6.00", "0", "0", "6.00", status,
                     "2026-11-18 09:01" if paid else "", "2026-11-18 09:02" if delivered else "",
                     rng.choice(["支付宝", "微信", ""]), "", f"T{file:03d}{r:05d}" if paid else "",
                     f"1380013{r:04d}", rng.choice(["是", "否", ""])])
    return rows


def _mutate_cells(rows: list[list[object]], rng: random.Random, pool: list[object], times: int) -> None:
    for _ in range(times):
        row = rng.choice(rows)
        row[rng.randrange(len(row))] = rng.choice(pool)


def _mutate_shape(header: list[object], rows: list[list[object]], rng: random.Random) -> None:
    kind = rng.randrange(8)
    if kind == 0:
        header.append(rng.choice(["实付金额", "paid_amount", "备注", "", "订单号"]))
    elif kind == 1:
        del header[rng.randrange(len(header))]
    elif kind == 2:
        rows.append([""] * len(header))
        rows.append([","] * 3)
    elif kind == 3:
        for row in rng.sample(rows, k=min(3, len(rows))):
            del row[rng.randrange(len(row)):]
    elif kind == 4:
        rng.choice(rows).extend(["extra", "cells"])
    elif kind == 5:
        header[rng.randrange(len(header))] = rng.choice(["\ufeff订单号", "实付金额(元)", " 状态 ", "ORDER_NO"])
    elif kind == 6:
        rows.insert(0, [""] * len(header))


def _renumber(rows: list[list[object]], file: int) -> None:
    """Order nos name the row they finally sit on (shape changes move rows)."""
    for number, row in enumerate(rows, start=2):
        if row and isinstance(row[0], str) and row[0].startswith(f"F{file:03d}R"):
            row[0] = f"F{file:03d}R{number:05d}"


def _csv_text(header: list[object], rows: list[list[object]], rng: random.Random) -> str:
    def cell(value: object) -> str:
        text = str(value)
        if rng.random() < 0.8 and any(c in text for c in ',"\r\n'):
            return '"' + text.replace('"', '""') + '"'
        return text

    newline = rng.choice(["\r\n", "\n", "\r"])
    return newline.join(",".join(cell(c) for c in line) for line in [header, *rows]) + newline


def _encode(text: str, rng: random.Random) -> bytes:
    encoding = rng.choice(["utf-8", "utf-8-sig", "gbk", "gb18030", "utf-16", "big5", "shift_jis", "utf-8", "utf-8"])
    return text.encode(encoding, errors="replace")


def _damage_bytes(data: bytes, rng: random.Random) -> bytes:
    kind = rng.randrange(4)
    if kind == 0:
        return data[: rng.randrange(1, max(2, len(data)))]
    if kind == 1:
        flipped = bytearray(data)
        for _ in range(rng.randrange(1, 8)):
            flipped[rng.randrange(len(flipped))] ^= 1 << rng.randrange(8)
        return bytes(flipped)
    if kind == 2:
        return data + bytes(rng.randrange(256) for _ in range(rng.randrange(1, 64)))
    return data


def make_csv(path: Path, file: int, rng: random.Random) -> None:
    header: list[object] = list(HEADER)
    rows = base_rows(file, rng, rng.randrange(1, 25))
    _mutate_cells(rows, rng, NASTY, rng.randrange(0, 6))
    if rng.random() < 0.5:
        _mutate_shape(header, rows, rng)
    _renumber(rows, file)
    data = _encode(_csv_text(header, rows, rng), rng)
    if rng.random() < 0.2:
        data = _damage_bytes(data, rng)
    path.write_bytes(data)


def make_xlsx(path: Path, file: int, rng: random.Random) -> None:
    header: list[object] = list(HEADER)
    rows = base_rows(file, rng, rng.randrange(1, 25))
    _mutate_cells(rows, rng, NASTY + XLSX_NASTY, rng.randrange(0, 6))
    if rng.random() < 0.4:
        _mutate_shape(header, rows, rng)
    _renumber(rows, file)
    damage = rng.randrange(6)
    if damage == 0:  # sheet XML cut off or holding a control character
        xml = sheet_xml([header, *rows])
        xml = xml[: rng.randrange(len(xml))] if rng.random() < 0.5 else xml.replace("点券", "点\x01券")
        write_xlsx(path, [], sheet=xml)
    else:
        write_xlsx(path, [header, *rows], date1904=rng.random() < 0.3)
    if damage == 1:
        path.write_bytes(_damage_bytes(path.read_bytes(), rng))


MAKERS: list[tuple[str, Callable[[Path, int, random.Random], None]]] = [("csv", make_csv), ("xlsx", make_xlsx)]


def generate(directory: Path, count: int = 320, seed: int = 20261118) -> list[Path]:
    """Write ``count`` files into ``directory``; the same seed gives the same files."""
    directory.mkdir(parents=True, exist_ok=True)
    rng = random.Random(seed)
    paths = []
    for file in range(count):
        suffix, make = MAKERS[1 if file % 3 == 2 else 0]  # two CSV files for each XLSX
        path = directory / f"f{file:03d}.{suffix}"
        make(path, file, random.Random(rng.getrandbits(64)))
        paths.append(path)
    return paths


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("directory", type=Path)
    parser.add_argument("--count", type=int, default=320)
    options = parser.parse_args()
    print(len(generate(options.directory, options.count)), "files")
