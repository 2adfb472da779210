"""卡密 import benchmark: 100,000 codes from a text file into a store that already holds some,
with encryption (AES-GCM per code) and duplicate detection (HMAC index, in the file and against
the store), timed end to end: reading the file, checking every line, sealing, inserting.

    python benchmarks/bench_codes.py [--codes 100000] [--stored 50000]

Prints the figure beside the target (issue 13: 100,000 codes <= 5 s) and beside a naive
baseline measured here on a sample (one duplicate query and one ORM insert per code, as a first
version would write it; scaled to the full count), with the load average, since the machine is
shared.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("KASHOP_SECRETS", "vault")
os.environ.setdefault("KASHOP_VAULT_PASSPHRASE", "bench-passphrase")

TARGET_S = 5.0


def write_codes(path: Path, count: int, duplicates: int) -> None:
    """``count`` lines: card no + password pairs and single codes, ``duplicates`` of them repeated."""
    with path.open("w", encoding="utf-8") as out:
        for i in range(count - duplicates):
            out.write(f"CARD{i:09d}----PW{(i * 2654435761) % 10**12:012d}\n" if i % 2 else f"K{i:09d}XQ7RTY{i % 997:03d}\n")
        for i in range(duplicates):
            out.write(f"K{(i * 2) % (count - duplicates):09d}XQ7RTY{((i * 2) % (count - duplicates)) % 997:03d}\n")


def fast(desk: object, path: Path) -> tuple[float, object]:
    from kashop_desktop.services.code_files import read_code_file
    from kashop_desktop.services.code_import import import_codes

    start = time.perf_counter()
    result = import_codes(desk, "基准卡", read_code_file(path), batch="bench")  # type: ignore[arg-type]
    return time.perf_counter() - start, result


def naive(desk: object, lines: list[str]) -> float:
    """One duplicate query and one ORM insert per code, each its own statement."""
    from kashop_desktop.domain.codes import canonical
    from kashop_desktop.services.products import get_product
    from kashop_desktop.store.models import CardCode

    cipher = desk.code_cipher()  # type: ignore[attr-defined]
    product = get_product("基准卡")
    start = time.perf_counter()
    with desk.atomic():  # type: ignore[attr-defined]
        for line in lines:
            code = canonical(line)
            digest = cipher.digest(code)
            if CardCode.select().where(CardCode.digest == digest).exists():
                continue
            token = cipher.seal(code)
            CardCode.create(product=product.id, sealed=token, digest=digest, hint=token.split(":", 2)[2])
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--codes", type=int, default=100_000)
    parser.add_argument("--stored", type=int, default=50_000, help="codes already in the store")
    parser.add_argument("--sample", type=int, default=5_000, help="codes the naive baseline imports (scaled)")
    args = parser.parse_args()
    from kashop_desktop.domain.order import ProductType
    from kashop_desktop.services import products
    from kashop_desktop.services.code_import import import_codes
    from kashop_desktop.services.desk import Desk

    with tempfile.TemporaryDirectory() as work:
        root = Path(work)
        desk = Desk.open(root / "data")
        products.add_product(desk, "基准卡", ProductType.CARD_CODE, 10_00)
        import_codes(desk, "基准卡", [f"OLD{i:09d}ZZZZ" for i in range(args.stored)])
        path = root / "codes.txt"
        write_codes(path, args.codes, args.codes // 100)
        seconds, result = fast(desk, path)
        imported = result.imported  # type: ignore[attr-defined]
        refused = result.plan.refused  # type: ignore[attr-defined]
        sample = [f"NAIVE{i:09d}QQQQ" for i in range(args.sample)]
        naive_s = naive(desk, sample) * args.codes / args.sample
        desk.close()
    load = os.getloadavg()
    print(f"codes import: {args.codes:,} lines ({imported:,} imported, {refused:,} duplicates reported) into a store "
          f"holding {args.stored:,}")
    print(f"  measured      {seconds:6.2f} s   ({args.codes / seconds:,.0f} codes/s)")
    print(f"  target        {TARGET_S:6.2f} s   {'met' if seconds <= TARGET_S else 'NOT met'}")
    print(f"  naive         {naive_s:6.2f} s   (a query and an ORM insert per code; {args.sample:,} measured, scaled)")
    print(f"  load average  {load[0]:.2f} {load[1]:.2f} {load[2]:.2f} on {os.cpu_count()} CPUs")


if __name__ == "__main__":
    main()
