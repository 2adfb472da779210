"""UI language: installing the translator, and the human labels for the shop's codes.

Source strings are Chinese (the default UI needs no translator); ``resources/i18n/kashop_en.ts``
carries the English. Labels for states, actions and actors are looked up here, once per
language, so a table model does not call ``translate`` for every painted cell.

Service errors and decision reasons already come in both languages (``zh``/``en``); ``pick``
chooses the one matching the UI.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from ..domain.refund_states import RefundStatus
from ..resources import translation_path
from .qt import QCoreApplication, QLocale, QtCore, QTranslator

SOURCE_LANG = "zh_CN"
LANGS = ("zh_CN", "en")
#: Shared with the dialogs (gui/dialogs/base.py): "zh" or "en".
LANGUAGE_PROPERTY = "kashop_language"
_label_cache: dict[tuple[str, str], dict[str, str]] = {}
#: Translators installed by ``switch_language`` (the window's live language switch).
_switched: list[QTranslator] = []


def normalise_lang(lang: str | None) -> str:
    """'en', 'en_US', 'EN' -> 'en'; anything else (or None) -> the Chinese source language."""
    if lang and lang.lower().replace("-", "_").split("_")[0] == "en":
        return "en"
    return SOURCE_LANG


def install_translator(app: QCoreApplication, lang: str | None) -> list[QTranslator]:
    """Install our catalogue (and Qt's own, for standard buttons) for ``lang``; return them.

    The caller keeps the returned translators alive: Qt holds only a pointer.
    """
    chosen = normalise_lang(lang)
    app.setProperty(LANGUAGE_PROPERTY, "en" if chosen == "en" else "zh")
    _label_cache.clear()
    QLocale.setDefault(QLocale("en_US" if chosen == "en" else "zh_CN"))
    installed: list[QTranslator] = []
    qt_dir = QtCore.QLibraryInfo.path(QtCore.QLibraryInfo.LibraryPath.TranslationsPath)
    qt_own = QTranslator(app)
    # Qt's own buttons (Cancel, Show Details...): the qt_ meta catalogue, or qtbase_ where the
    # meta catalogue's dependencies do not load (PySide6's wheel: qt_zh_CN.qm refuses to load)
    if qt_own.load(f"qt_{chosen}", qt_dir) or qt_own.load(f"qtbase_{chosen}", qt_dir):
        app.installTranslator(qt_own)
        installed.append(qt_own)
    if chosen != SOURCE_LANG:
        ours = QTranslator(app)
        if ours.load(str(translation_path(chosen))):
            app.installTranslator(ours)
            installed.append(ours)
    return installed


def remove_translators(app: QCoreApplication, translators: list[QTranslator]) -> None:
    """Remove these translators, and any a live language switch put in their place."""
    for translator in [*translators, *_switched]:
        app.removeTranslator(translator)
    _switched.clear()
    app.setProperty(LANGUAGE_PROPERTY, "zh")
    _label_cache.clear()


def switch_language(app: QCoreApplication, lang: str | None) -> None:
    """Change the UI language while the window is open: every installed translator goes, the
    catalogue for ``lang`` comes in (screens are then built again to show it)."""
    for translator in app.findChildren(QTranslator):
        app.removeTranslator(translator)
    _switched.clear()
    _switched.extend(install_translator(app, lang))


def ui_lang() -> str:
    """'en' or 'zh', as installed by ``install_translator`` (Chinese when none was)."""
    app = QCoreApplication.instance()
    value = app.property(LANGUAGE_PROPERTY) if app is not None else None
    return "en" if value == "en" else "zh"


def approx(text: str, exact: bool) -> str:
    """A date as shown: marked 约 / "approx." when it was computed across days the holiday
    calendar does not know yet (``services.views``: ``due_exact``, ``eta_exact``)."""
    if exact or not text or text == "—":
        return text
    #: A date computed across days the holiday calendar does not know yet (approximate).
    return QCoreApplication.translate("Dates", "约 {date}").format(date=text)


def pick(zh: str, en: str) -> str:
    """Choose the text matching the UI language from a bilingual pair (service messages)."""
    return en if ui_lang() == "en" else zh


def error_text(exc: BaseException) -> str:
    """A DomainError in the UI language; anything else as its plain text."""
    zh, en = getattr(exc, "zh", None), getattr(exc, "en", None)
    if isinstance(zh, str) and isinstance(en, str):
        return pick(zh, en)
    return str(exc) or type(exc).__name__


def format_time(moment: datetime | None) -> str:
    return moment.strftime("%Y-%m-%d %H:%M") if moment else ""


def format_time_s(moment: datetime | None) -> str:
    return moment.strftime("%Y-%m-%d %H:%M:%S") if moment else ""


# ---- labels ------------------------------------------------------------------------------------

def _cached(kind: str, build: Callable[[], dict[str, str]]) -> dict[str, str]:
    key = (kind, ui_lang())
    if key not in _label_cache:
        _label_cache[key] = build()
    return _label_cache[key]


def _status_labels() -> dict[str, str]:
    translate = QCoreApplication.translate
    return {
        "pending_payment": translate("Labels", "待支付"),
        "paid": translate("Labels", "待发货"),
        "delivered": translate("Labels", "已发货"),
        "completed": translate("Labels", "已完成"),
        "cancelled": translate("Labels", "已取消"),
        "partially_refunded": translate("Labels", "部分退款"),
        "refunded": translate("Labels", "已退款"),
        "refunding": translate("Labels", "退款中"),
        "held": translate("Labels", "扣留待审"),
    }


def status_label(status: str | None) -> str:
    if not status:
        return ""
    return _cached("status", _status_labels).get(str(status), str(status))


def _action_labels() -> dict[str, str]:
    translate = QCoreApplication.translate
    return {
        "created": translate("Labels", "下单"),
        "paid": translate("Labels", "支付成功"),
        "imported": translate("Labels", "导入"),
        "imported_update": translate("Labels", "导入更新"),
        "mark_paid": translate("Labels", "补单"),
        "deliver": translate("Labels", "发货"),
        "complete": translate("Labels", "完成"),
        "code_used": translate("Labels", "登记卡密使用情况"),
        "reveal_code": translate("Labels", "查看卡密"),
        "copy_code": translate("Labels", "复制卡密"),
        "held": translate("Labels", "扣留待审"),
        "released": translate("Labels", "放行"),
        "backorder": translate("Labels", "缺货待发"),
        "code_returned": translate("Labels", "卡密回库"),
        "code_void": translate("Labels", "作废卡密"),
        "cancel": translate("Labels", "取消订单"),
        "expire": translate("Labels", "超时关闭"),
        "restore": translate("Labels", "恢复订单"),
        "request_opened": translate("Labels", "登记取消申请"),
        "dispute_opened": translate("Labels", "登记售后争议"),
        "approved": translate("Labels", "批准申请"),
        "auto_approved": translate("Labels", "自动批准"),
        "request_rejected": translate("Labels", "拒绝申请"),
        "request_overdue": translate("Labels", "申请已逾期"),
        "refund_succeeded": translate("Labels", "退款成功"),
        "refund_failed": translate("Labels", "退款失败"),
        "refund_unknown": translate("Labels", "退款结果未知"),
        "refund_processing": translate("Labels", "退款处理中"),
        "refund_requeued": translate("Labels", "退款重新排队"),
        "refund_sending": translate("Labels", "退款发送中"),
        "refund_sent": translate("Labels", "发出退款"),
        "refund_needs_owner": translate("Labels", "退款待人工处理"),
        "refund_late_reply": translate("Labels", "网关迟到的退款回复"),
        "refund_retry": translate("Labels", "重新发送退款"),
        "refund_confirmed": translate("Labels", "确认发送退款"),
        "refund_resolved": translate("Labels", "人工处理退款"),
        "payment_found": translate("Labels", "网关查到付款"),
        "payment_time_corrected": translate("Labels", "更正付款时间"),
        "late_payment": translate("Labels", "关闭后付款"),
        "coupon_in_use": translate("Labels", "优惠券重复使用"),
        "payment_flagged": translate("Labels", "付款需核对"),
        "trade_closed": translate("Labels", "网关交易已关闭"),
        "trade_close_unsupported": translate("Labels", "网关不支持关闭交易"),
        "trade_close": translate("Labels", "关闭网关交易"),
        "channel_corrected": translate("Labels", "支付方式改回网关"),
        "recon_fixed": translate("Labels", "对账修正"),
        "recon_explained": translate("Labels", "对账差异已说明"),
        "payment_created": translate("Labels", "生成收款二维码"),
        "sale_failed": translate("Labels", "收款二维码未生成，订单作废"),
    }


def action_label(action: str) -> str:
    return _cached("action", _action_labels).get(action, action)


def _actor_labels() -> dict[str, str]:
    translate = QCoreApplication.translate
    return {
        "owner": translate("Labels", "店主"),
        "system": translate("Labels", "系统"),
        "buyer": translate("Labels", "买家"),
        "gateway": translate("Labels", "支付网关"),
        "import": translate("Labels", "导入"),
    }


def actor_label(actor: str) -> str:
    return _cached("actor", _actor_labels).get(actor, actor)


def _request_state_labels() -> dict[str, str]:
    translate = QCoreApplication.translate
    return {
        "open": translate("Labels", "待审核"),
        "approved": translate("Labels", "已批准"),
        "auto_approved": translate("Labels", "自动批准"),
        "rejected": translate("Labels", "已拒绝"),
    }


def request_state_label(state: str) -> str:
    return _cached("request", _request_state_labels).get(state, state)


def refund_state_label(state: str) -> str:
    """A refund state's one word, defined once in ``domain.refund_states`` for the whole desk."""
    try:
        status = RefundStatus(state)
    except ValueError:
        return state
    return pick(status.zh, status.en)


def _channel_labels() -> dict[str, str]:
    translate = QCoreApplication.translate
    return {
        "alipay": translate("Labels", "支付宝"),
        "wechat": translate("Labels", "微信支付"),
        "bank_card": translate("Labels", "银行卡"),
        "wallet": translate("Labels", "余额"),
        "cash": translate("Labels", "现金"),
        "bank_transfer": translate("Labels", "银行转账"),
    }


#: The payment channels, in the order the labels are listed.
CHANNELS = ("alipay", "wechat", "bank_card", "wallet", "cash", "bank_transfer")


def channel_label(channel: str | None) -> str:
    if not channel:
        return ""
    return _cached("channel", _channel_labels).get(channel, channel)


def _product_type_labels() -> dict[str, str]:
    translate = QCoreApplication.translate
    return {
        "card_code": translate("Labels", "卡密"),
        "direct_recharge": translate("Labels", "直充"),
        "physical": translate("Labels", "实物"),
    }


def product_type_label(kind: str) -> str:
    return _cached("product_type", _product_type_labels).get(kind, kind)


def _code_state_labels() -> dict[str, str]:
    translate = QCoreApplication.translate
    return {
        "available": translate("Labels", "可售"),
        "reserved": translate("Labels", "已预留"),
        "delivered": translate("Labels", "已发出"),
        "locked": translate("Labels", "已锁定"),
        "void": translate("Labels", "已作废"),
    }


def code_state_label(state: str) -> str:
    return _cached("code_state", _code_state_labels).get(state, state)


def product_types() -> list[tuple[str, str]]:
    return list(_cached("product_type", _product_type_labels).items())


def _search_kind_labels() -> dict[str, str]:
    translate = QCoreApplication.translate
    return {
        "order_no": translate("Labels", "订单号"),
        "phone": translate("Labels", "手机号"),
        "qq": translate("Labels", "QQ号"),
        "email": translate("Labels", "邮箱"),
        "trade_no": translate("Labels", "交易号"),
        "text": translate("Labels", "商品名/文字"),
    }


def search_kind_label(kind: str) -> str:
    return _cached("search", _search_kind_labels).get(kind, kind)


def _search_field_labels() -> dict[str, str]:
    translate = QCoreApplication.translate
    return {
        "order_no": translate("Labels", "订单号"),
        "order_tail": translate("Labels", "订单号尾号"),
        "trade_no": translate("Labels", "交易号"),
        "buyer": translate("Labels", "买家"),
        "product": translate("Labels", "商品名"),
    }


def search_field_label(field: str, kind: str) -> str:
    """The field a search matched (``views.search_matches``); a buyer match is named by what was
    typed when that is unambiguous: a phone or e-mail search says 手机号/邮箱 (digits of QQ
    length are just as often part of a phone number, so they say 买家)."""
    if field == "buyer" and kind in ("phone", "email"):
        return search_kind_label(kind)
    return _cached("search_fields", _search_field_labels).get(field, field)


def _reason_labels() -> dict[str, str]:
    translate = QCoreApplication.translate
    return {
        "mistaken": translate("Labels", "误拍"),
        "duplicate": translate("Labels", "重复下单"),
        "wrong_item": translate("Labels", "商品/区服错误"),
        "not_needed": translate("Labels", "不需要了"),
        "payment_issue": translate("Labels", "支付方式错误"),
        "merchant_fault": translate("Labels", "商家原因(发错货/卡密无效)"),
        "other": translate("Labels", "其他"),
    }


def reason_label(reason: str) -> str:
    return _cached("reason", _reason_labels).get(reason, reason)


def code_used_label(value: str) -> str:
    translate = QCoreApplication.translate
    labels = {"yes": translate("Labels", "已使用"), "no": translate("Labels", "未使用"), "unknown": translate("Labels", "未知")}
    return labels.get(value, value)
