"""A store problem (the server lost, the store busy or damaged) that stops a refund send part
way: the refunds picked may already have gone to their gateway, so the message must not say
that nothing changed. The refund queue raises this instead of the store's own refusal."""

from __future__ import annotations

import re

from ..domain.errors import StoreBusy, StoreError, StoreUnusable

#: The store messages' "nothing was changed" clause (store.server.unreachable, store.db.busy_error).
_NOTHING_ZH = re.compile(r"什么都没有改动[；，,;]?(请检查后重试|请稍后再试)?。?")
_NOTHING_EN = re.compile(r"[Nn]othing was changed[;,]? ?(check it and try again|try again in a moment)?\.? ?")


def send_cut_off(error: StoreError, picked: int) -> StoreError:
    """``error`` (raised while ``picked`` refunds were being sent) reworded: its "nothing was
    changed" clause dropped, and a note that some of them may have reached the gateway (left
    发送中 / sending) and that the next send asks the gateway first and settles each by its
    answer (services.refund_queue: an unknown outcome is queried before any new send, so none
    is refunded twice). Same class and code, so the command line keeps its exit status."""
    if picked <= 0:
        return error
    zh = _NOTHING_ZH.sub("", error.zh).rstrip("；; ")
    en = _NOTHING_EN.sub("", error.en).rstrip("; ")
    zh = (f"{zh}\n退款发送途中断开：本次挑出的 {picked} 笔退款中，有些已经发给或可能已经发给了网关（显示为“发送中”）。"
          "请不要到网关后台重复退款：恢复后再发送一次，会先向网关查询这些退款并按结果结清。")
    en = (f"{en}\nThe refund send was cut off part way: of the {picked} refund(s) picked, some were or may have "
          "been sent to the gateway (shown as 'sending'). Do not refund them again at the gateway: once the "
          "store is back, send again; it asks the gateway about these first and settles each by its answer.")
    if isinstance(error, StoreBusy):
        return StoreBusy(zh, en)
    if isinstance(error, StoreUnusable):
        return StoreUnusable(error.code, zh, en, error.path)
    return StoreError(error.code, zh, en)
