"""Add or change a product (商品): price, SKU / face value, low-stock threshold, reusable codes,
and the cancel-policy overrides the product may have (each either the shop's or its own)."""

from __future__ import annotations

from typing import Any

from ...domain.errors import MoneyError
from ...domain.money import format_yuan, parse_yuan
from ...domain.order import ProductType
from ...domain.policy import SPECS
from ...services import products as product_service
from ...services.products import ProductView
from ..context import DeskContext
from ..i18n import pick, product_types
from ..qt import (
    QCheckBox,
    QComboBox,
    QFormLayout,
    QGridLayout,
    QGroupBox,
    QLineEdit,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)
from .base import OpDialog

MONEY_KEYS = {"auto_approve_ceiling_fen"}


class ProductDialog(OpDialog):
    """``ProductDialog.ask(parent, ctx, product)``: a new product (None) or changes to one."""

    def __init__(self, parent: QWidget | None, ctx: DeskContext, product: ProductView | None) -> None:
        super().__init__(parent, ctx)
        self.product = product
        self.setWindowTitle(self.tr("编辑商品") if product else self.tr("添加商品"))
        self.ok_button.setText(self.tr("保存"))
        self.name = QLineEdit(product.name if product else "", self)
        self.kind = QComboBox(self)
        for kind, label in product_types():
            self.kind.addItem(label, kind)
        if product is not None:
            self.kind.setCurrentIndex(self.kind.findData(product.product_type.value))
            self.kind.setEnabled(False)  # orders keep the type they were sold as
        self.price = QLineEdit(format_yuan(product.price_fen) if product else "", self)
        self.price.setPlaceholderText(self.tr("例如 49.90"))
        self.sku = QLineEdit(product.sku if product else "", self)
        self.face = QLineEdit(format_yuan(product.face_value_fen) if product and product.face_value_fen else "", self)
        self.face.setPlaceholderText(self.tr("可不填"))
        self.threshold = QSpinBox(self)
        self.threshold.setRange(0, 1_000_000)
        self.threshold.setSpecialValueText(self.tr("不提醒"))
        self.threshold.setValue(product.threshold if product else 0)
        self.reusable = QCheckBox(self.tr("循环卡密：同一个卡密发给每位买家（不扣库存）"), self)
        self.reusable.setChecked(bool(product and product.reusable))
        form = QFormLayout()
        form.addRow(self.tr("名称"), self.name)
        form.addRow(self.tr("类型"), self.kind)
        form.addRow(self.tr("价格（元）"), self.price)
        form.addRow(self.tr("SKU / 面值说明"), self.sku)
        form.addRow(self.tr("面值（元）"), self.face)
        form.addRow(self.tr("低库存提醒"), self.threshold)
        form.addRow("", self.reusable)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self._overrides_box(product.policy_overrides if product else {}))
        layout.addWidget(self.message)
        layout.addWidget(self.buttons)
        self.setMinimumWidth(520)
        self.watch(self.name, self.price, self.face, self.kind, self.reusable)
        self.revalidate()

    def _overrides_box(self, overrides: dict[str, Any]) -> QGroupBox:
        box = QGroupBox(self.tr("退款政策（勾选的项只对本商品生效，其余沿用店铺设置）"), self)
        grid = QGridLayout(box)
        self.overrides: dict[str, tuple[QCheckBox, QWidget]] = {}
        shop = self.ctx.desk.policy().to_dict()
        for row, (key, spec) in enumerate(SPECS.items()):
            own = QCheckBox(pick(spec.zh, spec.en).replace("(分)", "(元)").replace("(fen)", "(yuan)"), box)
            value = overrides.get(key, shop[key])
            editor: QWidget
            if key in MONEY_KEYS:
                editor = QLineEdit(format_yuan(int(value)), box)
                editor.textChanged.connect(self.edited)
            else:
                editor = QSpinBox(box)
                editor.setRange(spec.minimum, spec.maximum)
                editor.setValue(int(value))
            own.setChecked(key in overrides)
            editor.setEnabled(key in overrides)
            own.toggled.connect(editor.setEnabled)
            own.toggled.connect(self.edited)
            grid.addWidget(own, row // 2, (row % 2) * 2)
            grid.addWidget(editor, row // 2, (row % 2) * 2 + 1)
            self.overrides[key] = (own, editor)
        self.no_refunds = QComboBox(box)
        self.no_refunds.addItem(self.tr("沿用店铺设置"), None)
        self.no_refunds.addItem(self.tr("本商品不支持退款"), True)
        self.no_refunds.addItem(self.tr("本商品支持退款"), False)
        self.no_refunds.setCurrentIndex(self.no_refunds.findData(overrides.get("no_refunds")))
        grid.addWidget(self.no_refunds, (len(SPECS) + 1) // 2, 0, 1, 4)
        return box

    def values(self) -> dict[str, Any]:
        """The form as ``products.set_product`` values (raises MoneyError for a bad amount)."""
        values: dict[str, Any] = {"price": parse_yuan(self.price.text()), "sku": self.sku.text().strip(),
                                  "threshold": self.threshold.value(), "reusable": self.reusable.isChecked()}
        if self.face.text().strip():
            values["face_value"] = parse_yuan(self.face.text())
        if self.product is not None and self.name.text().strip() != self.product.name:
            values["name"] = self.name.text().strip()
        for key, (own, editor) in self.overrides.items():
            if not own.isChecked():
                values[key] = None
            elif isinstance(editor, QLineEdit):
                values[key] = parse_yuan(editor.text())
            else:
                assert isinstance(editor, QSpinBox)
                values[key] = editor.value()
        values["no_refunds"] = self.no_refunds.currentData()
        return values

    def problem(self) -> str | None:
        if not self.name.text().strip():
            return self.tr("请填写商品名称")
        if self.reusable.isChecked() and self.kind.currentData() != ProductType.CARD_CODE.value:
            return self.tr("只有卡密商品可以设为循环卡密")
        try:
            self.values()
        except MoneyError as exc:
            return pick(exc.zh, exc.en)
        return None

    async def perform(self) -> Any:
        values = self.values()
        if self.product is None:
            return await self.ctx.op(product_service.add_product, self.name.text().strip(),
                                     ProductType(self.kind.currentData()), values.pop("price"),
                                     threshold=values.pop("threshold"), reusable=values.pop("reusable"),
                                     sku=values.pop("sku"), more=values)
        return await self.ctx.op(product_service.set_product, self.product.name, values)

    @classmethod
    async def ask(cls, parent: QWidget | None, ctx: DeskContext, product: ProductView | None) -> Any:
        return await cls.show_and_wait(parent, ctx, product)
