<?xml version="1.0" encoding="utf-8"?>
<!DOCTYPE TS>
<TS version="2.1" language="en" sourcelanguage="zh_CN">
<context>
    <name>AboutDialog</name>
    <message>
        <source>关于卡店订单台</source>
        <translation>About kashop order desk</translation>
    </message>
    <message>
        <source>关于</source>
        <translation>About</translation>
    </message>
    <message>
        <source>许可</source>
        <translation>Licences</translation>
    </message>
    <message>
        <source>字体许可全文</source>
        <translation>Font licence</translation>
    </message>
    <message>
        <source>卡店订单台</source>
        <translation>kashop order desk</translation>
    </message>
    <message>
        <source>小卡店的订单台：订单、取消、审核与原路退款。</source>
        <translation>The order desk for small card shops: orders, cancellations, reviews and refunds by the original route.</translation>
    </message>
    <message>
        <source>版本</source>
        <translation>Version</translation>
    </message>
    <message>
        <source>数据目录</source>
        <translation>Data folder</translation>
    </message>
    <message>
        <source>日志文件</source>
        <translation>Log file</translation>
    </message>
    <message>
        <source>运行环境</source>
        <translation>Runtime</translation>
    </message>
    <message>
        <source>名称</source>
        <translation>Name</translation>
    </message>
    <message>
        <source>随附字体</source>
        <translation>Bundled font</translation>
    </message>
    <message>
        <source>随附程序库</source>
        <translation>Bundled libraries</translation>
    </message>
    <message>
        <source>Qt 与 PySide6 以 LGPLv3 许可使用，作为独立的共享库随附，可以自行替换。</source>
        <translation>Qt and PySide6 are used under the LGPLv3 and ship as separate shared libraries, which you may replace.</translation>
    </message>
</context>
<context>
    <name>AddOperatorDialog</name>
    <message>
        <source>添加操作员</source>
        <translation>Add an operator</translation>
    </message>
    <message>
        <source>添加</source>
        <translation>Add</translation>
    </message>
    <message>
        <source>限制审批额度</source>
        <translation>Limit approvals</translation>
    </message>
    <message>
        <source>店员只能批准不超过这个金额（元）的退款；店主不受限制。</source>
        <translation>A clerk may approve refunds up to this amount (yuan); the owner has no limit.</translation>
    </message>
    <message>
        <source>名字</source>
        <translation>Name</translation>
    </message>
    <message>
        <source>角色</source>
        <translation>Role</translation>
    </message>
    <message>
        <source>密码</source>
        <translation>Password</translation>
    </message>
    <message>
        <source>再输入一次</source>
        <translation>Again</translation>
    </message>
    <message>
        <source>店员：处理订单、售后申请和额度内的退款；不能改网关密钥、政策和设置，不能批量查看卡密，不能管理操作员。只读：只能查看。</source>
        <translation>Clerk: orders, requests and refunds up to the limit; no gateway keys, policy or settings, no bulk reveal of 卡密, no operator management. Viewer: reads only.</translation>
    </message>
    <message>
        <source>请填写名字</source>
        <translation>Enter a name</translation>
    </message>
    <message>
        <source>密码至少 {n} 个字符</source>
        <translation>A password needs at least {n} characters</translation>
    </message>
    <message>
        <source>两次输入的密码不一致</source>
        <translation>The two passwords differ</translation>
    </message>
    <message>
        <source>审批额度：{problem}</source>
        <translation>Approval limit: {problem}</translation>
    </message>
</context>
<context>
    <name>App</name>
    <message>
        <source>已自动备份：{path}</source>
        <translation>Backed up automatically: {path}</translation>
    </message>
    <message>
        <source>密钥保险箱</source>
        <extracomment>SQLite page cache per connection in the window (``Desk.hold_page_cache``), in KiB.</extracomment>
        <translation>Key vault</translation>
    </message>
    <message>
        <source>保险箱口令：</source>
        <translation>Vault passphrase:</translation>
    </message>
    <message>
        <source>改回了这台电脑的数据文件</source>
        <translation>Back on this PC&apos;s data file</translation>
    </message>
    <message>
        <source>无法打开数据文件</source>
        <translation>Cannot open the data file</translation>
    </message>
    <message>
        <source>没有恢复</source>
        <translation>Not restored</translation>
    </message>
    <message>
        <source>已从备份恢复：{backup}</source>
        <translation>Restored from the backup: {backup}</translation>
    </message>
    <message>
        <source>原来的数据文件保留在：{path}</source>
        <translation>The previous data file is kept at: {path}</translation>
    </message>
    <message>
        <source>这个备份没有日志锚定（早于店铺第一次锚定）。若 kashop-desktop check 说锚定缺失，确认日志和订单无误后，运行 kashop-desktop audit anchor</source>
        <translation>This backup holds no anchor of the log (it is older than the shop&apos;s first anchoring). If kashop-desktop check says the anchors are missing, check the log and the orders, then run kashop-desktop audit anchor</translation>
    </message>
    <message>
        <source>恢复完成</source>
        <translation>Restore complete</translation>
    </message>
    <message>
        <source>数据库服务器出了问题</source>
        <translation>The database server has a problem</translation>
    </message>
    <message>
        <source>这个服务器是在设置页的“数据存储”里选的。可以重试，或改回这台电脑的数据文件（服务器上的店铺不受影响）。</source>
        <translation>This server was chosen in Settings &gt; Data storage. Try again, or go back to this PC&apos;s data file (the shop on the server is not affected).</translation>
    </message>
    <message>
        <source>这个服务器是启动时的 --db 或环境变量 KASHOP_DB_URL 指定的。</source>
        <translation>This server was given at start by --db or the KASHOP_DB_URL environment variable.</translation>
    </message>
    <message>
        <source>这里没有店铺的数据文件</source>
        <translation>No shop file here</translation>
    </message>
    <message>
        <source>数据文件夹 {folder} 里没有店铺的数据文件，只有这台电脑自己的文件（密钥保险箱等）。这通常是第二台电脑的文件夹，店铺在数据库服务器上；也可能是数据文件被移走了。为了不把一个空店铺当成你的店铺，程序没有新建店铺。</source>
        <translation>The data folder {folder} holds no shop file, only this computer&apos;s own files (the key vault and the like). This is usually a second computer&apos;s folder whose shop is on a database server, or the data file was moved away. No shop was made, so that an empty shop is not taken for yours.</translation>
    </message>
    <message>
        <source>可以连接店铺所在的数据库服务器；从备份恢复；把数据文件放回这个文件夹后重试；或者确认后新建一个空店铺。</source>
        <translation>You can connect to the shop&apos;s database server; restore from a backup; put the data file back in this folder and retry; or, after confirming, make a new empty shop.</translation>
    </message>
    <message>
        <source>连接数据库服务器…</source>
        <translation>Connect to the database server…</translation>
    </message>
    <message>
        <source>从备份恢复…</source>
        <translation>Restore from a backup…</translation>
    </message>
    <message>
        <source>重试</source>
        <translation>Try again</translation>
    </message>
    <message>
        <source>新建空店铺…</source>
        <translation>New empty shop…</translation>
    </message>
    <message>
        <source>新建空店铺？</source>
        <translation>Make a new empty shop?</translation>
    </message>
    <message>
        <source>将在 {folder} 新建一个没有任何订单的空店铺。如果你的店铺在数据库服务器上或在别的文件夹里，请不要新建：这台电脑会把这个空店铺当成店铺显示。</source>
        <translation>A new shop with no orders will be made in {folder}. If your shop is on a database server or in another folder, do not make one: this computer would then show the empty shop as the shop.</translation>
    </message>
    <message>
        <source>确定新建空店铺</source>
        <translation>Make the empty shop</translation>
    </message>
    <message>
        <source>返回</source>
        <translation>Back</translation>
    </message>
    <message>
        <source>选择备份文件</source>
        <translation>Choose a backup file</translation>
    </message>
    <message>
        <source>kashop 备份 (*.sqlite3 *.db *.bak);;所有文件 (*)</source>
        <translation>kashop backups (*.sqlite3 *.db *.bak);;All files (*)</translation>
    </message>
    <message>
        <source>改用这台电脑的数据文件</source>
        <translation>Use this PC&apos;s data file</translation>
    </message>
    <message>
        <source>退出</source>
        <translation>Quit</translation>
    </message>
    <message>
        <source>店铺已移到数据库服务器</source>
        <translation>The shop has moved to a database server</translation>
    </message>
    <message>
        <source>可以在这台电脑上改用这个服务器：输入它的密码，测试通过后保存，以后启动直接打开服务器上的店铺。</source>
        <translation>This PC can use that server instead: enter its password; once the test passes it is saved, and every start opens the shop on the server.</translation>
    </message>
    <message>
        <source>改用这个服务器…</source>
        <translation>Use this server…</translation>
    </message>
    <message>
        <source>服务器 {server} 上用户 {user} 的密码：</source>
        <translation>Password of the user {user} on the server {server}:</translation>
    </message>
</context>
<context>
    <name>BlockBuyerDialog</name>
    <message>
        <source>拉黑买家</source>
        <translation>Block buyer</translation>
    </message>
    <message>
        <source>例如：多次恶意退款；盗刷的支付账户</source>
        <translation>e.g. repeated bad-faith refunds; a stolen payment account</translation>
    </message>
    <message>
        <source>原因</source>
        <translation>Reason</translation>
    </message>
    <message>
        <source>拉黑</source>
        <translation>Block</translation>
    </message>
    <message numerus="yes">
        <source>该买家现有 {n} 个未发货的订单（待支付、待发货）将扣留待审，不会发货</source>
        <translation>
            <numerusform>This buyer&apos;s {n} undelivered order (unpaid, to deliver) will be held for review and not delivered</numerusform>
            <numerusform>This buyer&apos;s {n} undelivered orders (unpaid, to deliver) will be held for review and not delivered</numerusform>
        </translation>
    </message>
    <message>
        <source>以后导入的该买家订单也会扣留待审</source>
        <translation>Orders of this buyer imported later are held for review too</translation>
    </message>
    <message>
        <source>扣留的订单在订单页「扣留待审」标签下，由你逐个或全部放行；也可以取消</source>
        <translation>Held orders are under the Held tab of the orders screen; you release them one by one or all together, or cancel them</translation>
    </message>
    <message>
        <source>请写明拉黑原因</source>
        <translation>Say why the buyer is blocked</translation>
    </message>
    <message>
        <source>原因最多 {n} 个字</source>
        <translation>A reason is at most {n} characters</translation>
    </message>
</context>
<context>
    <name>BreakdownView</name>
    <message>
        <source>退款明细</source>
        <translation>Refund breakdown</translation>
    </message>
    <message>
        <source>退款总额</source>
        <translation>Gross refund</translation>
    </message>
    <message>
        <source>手续费</source>
        <translation>Fee</translation>
    </message>
    <message>
        <source>实退金额(原路返回)</source>
        <translation>Net refund (original route)</translation>
    </message>
    <message>
        <source>优惠券分摊</source>
        <translation>Coupon share</translation>
    </message>
    <message>
        <source>退回积分</source>
        <translation>Points returned</translation>
    </message>
    <message>
        <source>预计到账</source>
        <translation>Expected arrival</translation>
    </message>
    <message>
        <source>退款网关</source>
        <translation>Refund gateway</translation>
    </message>
    <message>
        <source>无</source>
        <translation>None</translation>
    </message>
    <message>
        <source>{amount}（优惠券原样退回）</source>
        <translation>{amount} (coupon returned as is)</translation>
    </message>
</context>
<context>
    <name>BuyerField</name>
    <message>
        <source>已保存买家 {buyer} 的备注</source>
        <translation>Note saved for buyer {buyer}</translation>
    </message>
    <message>
        <source>已拉黑买家 {buyer}；{n} 个未发货订单扣留待审</source>
        <translation>Buyer {buyer} blocked; undelivered orders held for review: {n}</translation>
    </message>
    <message>
        <source>已解除拉黑 {buyer}；仍有 {n} 个订单扣留待审，需要你放行</source>
        <translation>Buyer {buyer} unblocked; orders still held until you release them: {n}</translation>
    </message>
    <message>
        <source>已解除拉黑 {buyer}</source>
        <translation>Buyer {buyer} unblocked</translation>
    </message>
    <message>
        <source>已放行 {n} 个订单，可以发货</source>
        <translation>Orders released: {n}; they can be delivered</translation>
    </message>
    <message>
        <source>备注</source>
        <translation>Note</translation>
    </message>
    <message>
        <source>给这个买家写备注（显示在其所有订单中）</source>
        <translation>Keep a note on this buyer (shown with all their orders)</translation>
    </message>
    <message>
        <source>拉黑</source>
        <translation>Block</translation>
    </message>
    <message>
        <source>拉黑：其未发货订单扣留待审，不会发货</source>
        <translation>Block: their undelivered orders are held for review, not delivered</translation>
    </message>
    <message>
        <source>解除拉黑</source>
        <translation>Unblock</translation>
    </message>
    <message>
        <source>解除拉黑；已扣留的订单不会自动放行</source>
        <translation>Unblock; orders already held are not released by it</translation>
    </message>
    <message>
        <source>已拉黑</source>
        <translation>Blocked</translation>
    </message>
    <message>
        <source>拉黑原因：{reason}（{at}）</source>
        <translation>Blocked: {reason} ({at})</translation>
    </message>
    <message>
        <source>备注：{note}</source>
        <translation>Note: {note}</translation>
    </message>
</context>
<context>
    <name>BuyerNoteDialog</name>
    <message>
        <source>买家备注</source>
        <translation>Note on the buyer</translation>
    </message>
    <message>
        <source>例如：老客户，常买 Steam 卡；只在晚上回消息</source>
        <translation>e.g. regular, buys Steam cards; answers only in the evening</translation>
    </message>
    <message>
        <source>备注</source>
        <translation>Note</translation>
    </message>
    <message>
        <source>保存备注</source>
        <translation>Save note</translation>
    </message>
    <message>
        <source>备注显示在该买家每个订单的详情里（任何写法的同一联系方式都算同一买家）</source>
        <translation>The note shows in the detail of each order of this buyer (any spelling of the same contact is the same buyer)</translation>
    </message>
    <message>
        <source>留空保存即清除备注</source>
        <translation>Save it empty to clear the note</translation>
    </message>
    <message>
        <source>备注最多 {n} 个字</source>
        <translation>A note is at most {n} characters</translation>
    </message>
</context>
<context>
    <name>CancelDialog</name>
    <message>
        <source>取消订单 {order_no}</source>
        <extracomment>Set when the owner chose to open a dispute instead (delivered orders).</extracomment>
        <translation>Cancel order {order_no}</translation>
    </message>
    <message>
        <source>确认取消订单</source>
        <translation>Cancel order</translation>
    </message>
    <message>
        <source>保留订单</source>
        <translation>Keep order</translation>
    </message>
    <message>
        <source>例如：面值50误拍成100（会写入订单时间线）</source>
        <translation>e.g. ordered the 100 card instead of the 50 (goes into the timeline)</translation>
    </message>
    <message>
        <source>改为发起售后争议…</source>
        <translation>Open a dispute instead…</translation>
    </message>
    <message>
        <source>取消原因</source>
        <translation>Reason</translation>
    </message>
    <message>
        <source>备注</source>
        <translation>Note</translation>
    </message>
    <message>
        <source>取消后会发生什么</source>
        <translation>What cancelling does</translation>
    </message>
    <message>
        <source>可以代买家发起售后争议，审核通过后按原路退款。</source>
        <translation>You can open a dispute for the buyer; once approved, it is refunded by the original route.</translation>
    </message>
    <message>
        <source>退回订单 {order_no} 未退的款项</source>
        <extracomment>A cancelled order whose money was never refunded (an older system&apos;s, imported): the dialog returns that money; the order stays cancelled (``domain.decision._cancelled``).</extracomment>
        <translation>Refund the money kept on order {order_no}</translation>
    </message>
    <message>
        <source>确认退款</source>
        <translation>Refund</translation>
    </message>
    <message>
        <source>暂不退款</source>
        <translation>Not now</translation>
    </message>
    <message>
        <source>退款后会发生什么</source>
        <translation>What the refund does</translation>
    </message>
    <message>
        <source>订单已取消但款项未退回：按原路退款，订单仍为已取消，库存不变。</source>
        <translation>Cancelled, but its money was never refunded: refunded by the original route; the order stays cancelled and the stock is unchanged.</translation>
    </message>
    <message>
        <source>订单已支付未发货：取消并全额原路退款，库存退回。</source>
        <translation>Paid, not delivered: cancelled with a full refund by the original route; stock goes back.</translation>
    </message>
    <message>
        <source>订单未支付：立即取消，无需退款。</source>
        <translation>Not paid: cancelled at once, nothing to refund.</translation>
    </message>
    <message>
        <source>库存退回 {quantity} 件「{product}」</source>
        <translation>{quantity} × &quot;{product}&quot; back in stock</translation>
    </message>
    <message>
        <source>优惠券 {code} 退回给买家，可再次使用</source>
        <translation>Coupon {code} goes back to the buyer and can be used again</translation>
    </message>
    <message>
        <source>退回积分 {points}</source>
        <translation>{points} points returned</translation>
    </message>
    <message>
        <source>无法预览该订单</source>
        <translation>Cannot preview this order</translation>
    </message>
</context>
<context>
    <name>CodeField</name>
    <message>
        <source>显示</source>
        <translation>Show</translation>
    </message>
    <message>
        <source>显示完整卡密（会记入时间线：谁、何时）</source>
        <translation>Show the full card code (recorded in the timeline: who and when)</translation>
    </message>
    <message>
        <source>隐藏</source>
        <translation>Hide</translation>
    </message>
    <message>
        <source>重新遮住卡密（换选订单时也会自动遮住）</source>
        <translation>Mask the code again (it is masked when another order is chosen, too)</translation>
    </message>
    <message>
        <source>复制</source>
        <translation>Copy</translation>
    </message>
    <message>
        <source>复制完整卡密发给买家（会记入时间线：谁、何时）；30 秒后从剪贴板清除</source>
        <translation>Copy the whole code to send to the buyer (written to the timeline: who, when); cleared from the clipboard after 30 s</translation>
    </message>
    <message>
        <source>卡密已复制，{seconds} 秒后从剪贴板清除</source>
        <translation>Card code copied; it leaves the clipboard in {seconds} s</translation>
    </message>
</context>
<context>
    <name>CodesModel</name>
    <message>
        <source>ID</source>
        <translation>ID</translation>
    </message>
    <message>
        <source>卡密</source>
        <translation>Code</translation>
    </message>
    <message>
        <source>状态</source>
        <translation>State</translation>
    </message>
    <message>
        <source>批次</source>
        <translation>Batch</translation>
    </message>
    <message>
        <source>成本</source>
        <translation>Cost</translation>
    </message>
    <message>
        <source>导入时间</source>
        <translation>Imported</translation>
    </message>
    <message>
        <source>订单号</source>
        <translation>Order no</translation>
    </message>
</context>
<context>
    <name>CodesPage</name>
    <message>
        <source>导入卡密…</source>
        <translation>Import codes…</translation>
    </message>
    <message>
        <source>导出…</source>
        <translation>Export…</translation>
    </message>
    <message>
        <source>商品</source>
        <translation>Product</translation>
    </message>
    <message>
        <source>批次</source>
        <translation>Batch</translation>
    </message>
    <message>
        <source>全部</source>
        <translation>All</translation>
    </message>
    <message>
        <source>缺货待发</source>
        <translation>Waiting for codes</translation>
    </message>
    <message>
        <source>订单号</source>
        <translation>Order no</translation>
    </message>
    <message>
        <source>数量</source>
        <translation>Qty</translation>
    </message>
    <message>
        <source>实付</source>
        <translation>Paid</translation>
    </message>
    <message>
        <source>买家</source>
        <translation>Buyer</translation>
    </message>
    <message>
        <source>支付时间</source>
        <translation>Paid at</translation>
    </message>
    <message>
        <source>缺货起</source>
        <translation>Waiting since</translation>
    </message>
    <message>
        <source>锁定</source>
        <translation>Lock</translation>
    </message>
    <message>
        <source>解锁</source>
        <translation>Unlock</translation>
    </message>
    <message>
        <source>作废</source>
        <translation>Void</translation>
    </message>
    <message>
        <source>删除…</source>
        <translation>Delete…</translation>
    </message>
    <message>
        <source>缺货待发（{n}）</source>
        <translation>Waiting for codes ({n})</translation>
    </message>
    <message>
        <source>全部批次</source>
        <translation>All batches</translation>
    </message>
    <message>
        <source>还没有卡密商品：先在「商品」页添加</source>
        <translation>No card-code product yet: add one on the Products page</translation>
    </message>
    <message>
        <source>可售 {available} · 已预留 {reserved} · 已发出 {delivered} · 锁定 {locked} · 作废 {void}</source>
        <translation>Available {available} · Reserved {reserved} · Delivered {delivered} · Locked {locked} · Void {void}</translation>
    </message>
    <message>
        <source>库存不足：{product} 只剩 {n} 个（提醒数 {threshold}），请补货</source>
        <translation>Low stock: {product} has {n} left (warning at {threshold}); restock it</translation>
    </message>
    <message numerus="yes">
        <source>{n} 个已付款订单在等卡密：导入后按支付先后自动发货，或在订单页为买家退款</source>
        <translation>
            <numerusform>{n} paid order waits for codes: it is delivered when codes are imported, or refund the buyer on the Orders page</numerusform>
            <numerusform>{n} paid orders wait for codes: they are delivered oldest-first when codes are imported, or refund the buyer on the Orders page</numerusform>
        </translation>
    </message>
    <message>
        <source>已选 {n} 个</source>
        <translation>{n} selected</translation>
    </message>
    <message>
        <source>选中卡密后可锁定、解锁、作废或删除；已发出的卡密在订单的售后里作废</source>
        <translation>Select codes to lock, unlock, void or delete them; a delivered code is voided from its order&apos;s dispute</translation>
    </message>
    <message numerus="yes">
        <source>已导入 {n} 个卡密</source>
        <translation>
            <numerusform>{n} code imported</numerusform>
            <numerusform>{n} codes imported</numerusform>
        </translation>
    </message>
    <message>
        <source>；缺货待发订单已发货：{orders}</source>
        <translation>; orders that waited for codes delivered: {orders}</translation>
    </message>
    <message>
        <source>、</source>
        <translation>, </translation>
    </message>
    <message numerus="yes">
        <source>已导出 {n} 个卡密到 {path}</source>
        <translation>
            <numerusform>{n} code exported to {path}</numerusform>
            <numerusform>{n} codes exported to {path}</numerusform>
        </translation>
    </message>
    <message>
        <source>；原文件已另存为 {kept}</source>
        <translation>; the file it replaced is kept as {kept}</translation>
    </message>
    <message numerus="yes">
        <source>{n} 个卡密已改为「{state}」</source>
        <translation>
            <numerusform>{n} code is now &apos;{state}&apos;</numerusform>
            <numerusform>{n} codes are now &apos;{state}&apos;</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>已删除 {n} 个卡密</source>
        <translation>
            <numerusform>{n} code deleted</numerusform>
            <numerusform>{n} codes deleted</numerusform>
        </translation>
    </message>
</context>
<context>
    <name>CompleteDialog</name>
    <message>
        <source>完成订单 {order_no}</source>
        <translation>Complete order {order_no}</translation>
    </message>
    <message>
        <source>确认完成</source>
        <translation>Complete order</translation>
    </message>
    <message>
        <source>暂不完成</source>
        <translation>Not now</translation>
    </message>
    <message>
        <source>完成后会发生什么</source>
        <translation>What completing does</translation>
    </message>
    <message>
        <source>现在不能标记为完成，订单不会变。</source>
        <translation>It cannot be completed now; the order stays as it is.</translation>
    </message>
    <message>
        <source>订单变为「已完成」：买家已收到并确认</source>
        <translation>The order becomes &apos;Completed&apos;: the buyer has received it</translation>
    </message>
    <message>
        <source>完成后买家仍可以申请售后，由证据决定是否退款</source>
        <translation>The buyer can still raise a dispute afterwards; the evidence decides any refund</translation>
    </message>
</context>
<context>
    <name>CrashDialog</name>
    <message>
        <source>卡店订单台出错了</source>
        <translation>kashop order desk hit an error</translation>
    </message>
    <message>
        <source>出现了一个意外错误。已保存的订单不受影响：未完成的操作已自动撤销。</source>
        <translation>An unexpected error occurred. Saved orders are not affected: the unfinished operation was rolled back.</translation>
    </message>
    <message>
        <source>错误报告已保存到：
{path}

联系支持时请附上这个文件。</source>
        <translation>The error report was saved to:
{path}

Please attach this file when you contact support.</translation>
    </message>
    <message>
        <source>数据文件出了问题</source>
        <translation>A problem with the data file</translation>
    </message>
    <message>
        <source>数据库服务器出了问题：{server}</source>
        <translation>The database server has a problem: {server}</translation>
    </message>
</context>
<context>
    <name>Dates</name>
    <message>
        <source>约 {date}</source>
        <extracomment>Shared with the dialogs (gui/dialogs/base.py): &quot;zh&quot; or &quot;en&quot;. Translators installed by ``switch_language`` (the window&apos;s live language switch). A date computed across days the holiday calendar does not know yet (approximate).</extracomment>
        <translation>approx. {date}</translation>
    </message>
</context>
<context>
    <name>DeleteCodesDialog</name>
    <message>
        <source>删除卡密</source>
        <translation>Delete codes</translation>
    </message>
    <message>
        <source>删除 {n} 个</source>
        <translation>Delete {n}</translation>
    </message>
    <message numerus="yes">
        <source>将删除 {n} 个卡密，删除后无法恢复。</source>
        <translation>
            <numerusform>{n} code will be deleted; this cannot be undone.</numerusform>
            <numerusform>{n} codes will be deleted; this cannot be undone.</numerusform>
        </translation>
    </message>
    <message>
        <source>{product}：可售 {before} → {after}</source>
        <translation>{product}: available {before} → {after}</translation>
    </message>
    <message>
        <source>{product} 将降到低库存提醒数</source>
        <translation>{product} will fall to its low-stock warning</translation>
    </message>
    <message>
        <source>卡密 {id}（{state}）曾发给买家，永远不能删除：它留在库中，同一卡密再导入时会被拒绝</source>
        <translation>Code {id} ({state}) went to a buyer and can never be deleted: it stays so the same code is refused if imported again</translation>
    </message>
    <message>
        <source>卡密 {id} 已被未付款订单预留，不能删除：订单取消或超时后它回到可售</source>
        <translation>Code {id} is reserved by an unpaid order and cannot be deleted: it is back on sale once the order is cancelled or expires</translation>
    </message>
    <message>
        <source>请只选择从未发给买家的可售、锁定或作废卡密</source>
        <translation>Select only available, locked or void codes that never went to a buyer</translation>
    </message>
</context>
<context>
    <name>DeliverDialog</name>
    <message>
        <source>发货 {order_no}</source>
        <translation>Deliver {order_no}</translation>
    </message>
    <message>
        <source>确认发货</source>
        <translation>Deliver</translation>
    </message>
    <message>
        <source>暂不发货</source>
        <translation>Not now</translation>
    </message>
    <message>
        <source>发货后会发生什么</source>
        <translation>What delivering does</translation>
    </message>
    <message>
        <source>现在不能发货，库存和订单都不会变。</source>
        <translation>It cannot be delivered now; stock and order stay as they are.</translation>
    </message>
    <message>
        <source>（未留联系方式）</source>
        <translation>(no contact given)</translation>
    </message>
    <message numerus="yes">
        <source>从库存取出 {n} 个卡密，发给买家 {buyer}：</source>
        <translation>
            <numerusform>Takes {n} card code from stock for buyer {buyer}:</numerusform>
            <numerusform>Takes {n} card codes from stock for buyer {buyer}:</numerusform>
        </translation>
    </message>
    <message>
        <source>直充：请先在上游为买家 {buyer} 充好「{product}」× {quantity}，再确认</source>
        <translation>Direct recharge: top up &apos;{product}&apos; × {quantity} for buyer {buyer} upstream first, then confirm</translation>
    </message>
    <message>
        <source>实物：「{product}」× {quantity} 寄给买家 {buyer}</source>
        <translation>Physical goods: &apos;{product}&apos; × {quantity} shipped to buyer {buyer}</translation>
    </message>
    <message>
        <source>订单变为「已发货」；发货不能撤回，每个订单只发一次</source>
        <translation>The order becomes &apos;Delivered&apos;; a delivery cannot be undone and happens once per order</translation>
    </message>
</context>
<context>
    <name>EditOperatorDialog</name>
    <message>
        <source>修改操作员：{name}</source>
        <translation>Change operator: {name}</translation>
    </message>
    <message>
        <source>保存</source>
        <translation>Save</translation>
    </message>
    <message>
        <source>限制审批额度（元）</source>
        <translation>Limit approvals (yuan)</translation>
    </message>
    <message>
        <source>角色</source>
        <translation>Role</translation>
    </message>
    <message>
        <source>店主可以做所有事，不受审批额度限制。</source>
        <translation>An owner may do everything, with no approval limit.</translation>
    </message>
    <message>
        <source>店员在一个订单上批准的退款合计不超过额度（拆成几笔也合计）；不限制则任意金额。</source>
        <translation>A clerk approves refunds on one order up to the limit in all (parts added up); without a limit, any amount.</translation>
    </message>
    <message>
        <source>只读：只能查看，不能做任何改动。</source>
        <translation>Viewer: reads only, changes nothing.</translation>
    </message>
    <message>
        <source>审批额度：{problem}</source>
        <translation>Approval limit: {problem}</translation>
    </message>
    <message>
        <source>没有改动</source>
        <translation>Nothing changed</translation>
    </message>
</context>
<context>
    <name>ExportCodesDialog</name>
    <message>
        <source>导出卡密：{product}</source>
        <translation>Export codes: {product}</translation>
    </message>
    <message>
        <source>导出</source>
        <translation>Export</translation>
    </message>
    <message>
        <source>保存为 .csv 或 .xlsx</source>
        <translation>Save as .csv or .xlsx</translation>
    </message>
    <message>
        <source>选择…</source>
        <translation>Choose…</translation>
    </message>
    <message>
        <source>只导出（卡密仍可在本店售出）</source>
        <translation>Export only (the codes stay on sale here)</translation>
    </message>
    <message>
        <source>导出并锁定（暂停在本店售出）</source>
        <translation>Export and lock (held back from sale here)</translation>
    </message>
    <message>
        <source>导出并标记为已售出（在别处售卖，本店不再售出）</source>
        <translation>Export and mark sold (sold elsewhere, never sold here)</translation>
    </message>
    <message>
        <source>导出的文件含有明文卡密，请妥善保管；导出会记入卡密日志。</source>
        <translation>The file holds the codes in clear: keep it safe. The export is written to the code log.</translation>
    </message>
    <message>
        <source>导出卡密</source>
        <translation>Export codes</translation>
    </message>
    <message>
        <source>CSV (*.csv);;Excel (*.xlsx)</source>
        <translation>CSV (*.csv);;Excel (*.xlsx)</translation>
    </message>
    <message>
        <source>请选择保存位置</source>
        <translation>Choose where to save</translation>
    </message>
</context>
<context>
    <name>ExportDialog</name>
    <message>
        <source>全部订单</source>
        <translation>all orders</translation>
    </message>
    <message>
        <source>导出订单列表：{tab}</source>
        <translation>Export the order list: {tab}</translation>
    </message>
    <message>
        <source>搜索：{text}</source>
        <translation>search: {text}</translation>
    </message>
    <message>
        <source>日期：{start} 至 {end}</source>
        <translation>dates: {start} to {end}</translation>
    </message>
    <message>
        <source>类型：{kind}</source>
        <translation>type: {kind}</translation>
    </message>
    <message>
        <source>，</source>
        <translation>, </translation>
    </message>
    <message>
        <source>导出订单</source>
        <extracomment>Seconds an exported row takes, by format (README: 1,000,000 rows to CSV ~25 s, to XLSX ~26 s, measured at load 5 on two shared cores).</extracomment>
        <translation>Export orders</translation>
    </message>
    <message>
        <source>导出</source>
        <translation>Export</translation>
    </message>
    <message>
        <source>CSV（Excel、WPS 都能打开）</source>
        <translation>CSV (opens in Excel and WPS)</translation>
    </message>
    <message>
        <source>Excel 工作簿（.xlsx）</source>
        <translation>Excel workbook (.xlsx)</translation>
    </message>
    <message>
        <source>格式：</source>
        <translation>Format:</translation>
    </message>
    <message>
        <source>订单导出.csv</source>
        <translation>orders-export.csv</translation>
    </message>
    <message>
        <source>浏览…</source>
        <translation>Browse…</translation>
    </message>
    <message>
        <source>保存到：</source>
        <translation>Save to:</translation>
    </message>
    <message>
        <source>替换已存在的文件</source>
        <translation>Replace the existing file</translation>
    </message>
    <message>
        <source>表头为中文；窗口为英文时为英文。金额以元为单位，时间为北京时间。</source>
        <translation>Headers in the window&apos;s language. Amounts in yuan, times in Beijing time.</translation>
    </message>
    <message>
        <source>Excel 工作簿 (*.xlsx)</source>
        <translation>Excel workbook (*.xlsx)</translation>
    </message>
    <message>
        <source>CSV 文件 (*.csv)</source>
        <translation>CSV file (*.csv)</translation>
    </message>
    <message>
        <source>导出到</source>
        <translation>Export to</translation>
    </message>
    <message>
        <source>请选择要保存的文件</source>
        <translation>Choose the file to save</translation>
    </message>
    <message>
        <source>文件已存在：{name}。勾选“替换已存在的文件”才会覆盖它，或换一个文件名</source>
        <translation>The file exists: {name}. Tick “Replace the existing file” to overwrite it, or choose another name</translation>
    </message>
    <message>
        <source>覆盖并导出</source>
        <translation>Replace and export</translation>
    </message>
    <message>
        <source>预计用时约 {time}</source>
        <translation>About {time} to export</translation>
    </message>
    <message numerus="yes">
        <source>共 {n} 条订单</source>
        <translation>
            <numerusform>{n} order</numerusform>
            <numerusform>{n} orders</numerusform>
        </translation>
    </message>
    <message>
        <source>正在导出…</source>
        <translation>Exporting…</translation>
    </message>
    <message>
        <source>已取消，没有留下文件</source>
        <translation>Cancelled; no file was left behind</translation>
    </message>
    <message>
        <source>没有导出，没有留下文件</source>
        <translation>Not exported; no file was left behind</translation>
    </message>
    <message>
        <source>已导出 {done} / {total} 条</source>
        <translation>Exported {done} of {total}</translation>
    </message>
    <message>
        <source>，剩余约 {time}</source>
        <translation>, about {time} left</translation>
    </message>
    <message>
        <source>正在取消…</source>
        <translation>Cancelling…</translation>
    </message>
</context>
<context>
    <name>FittingTabBar</name>
    <message>
        <source>{label} {count}</source>
        <extracomment>Counts from this size on may be shortened (12.3万, 12.3k) when the full ones do not fit. What each step of ``fit_counts`` gives up: (optional counts out, space beside each label divided by, counts shortened: 0 no, 1 to one decimal, 2 to whole 万 / k / M).</extracomment>
        <translation>{label} {count}</translation>
    </message>
</context>
<context>
    <name>GatewayAccountDialog</name>
    <message>
        <source>编辑网关账户</source>
        <translation>Edit gateway account</translation>
    </message>
    <message>
        <source>添加网关账户</source>
        <translation>Add gateway account</translation>
    </message>
    <message>
        <source>保存</source>
        <translation>Save</translation>
    </message>
    <message>
        <source>名称</source>
        <translation>Name</translation>
    </message>
    <message>
        <source>类型</source>
        <translation>Type</translation>
    </message>
    <message>
        <source>能力</source>
        <translation>Supports</translation>
    </message>
    <message>
        <source>（可选）</source>
        <translation> (optional)</translation>
    </message>
    <message>
        <source>已保存；留空则不修改</source>
        <translation>Saved; leave empty to keep it</translation>
    </message>
    <message>
        <source>从文件载入…</source>
        <translation>Load from file…</translation>
    </message>
    <message>
        <source>选择 PEM 文件</source>
        <translation>Choose a PEM file</translation>
    </message>
    <message>
        <source>PEM 文件 (*.pem *.key *.crt *.txt);;所有文件 (*)</source>
        <translation>PEM files (*.pem *.key *.crt *.txt);;All files (*)</translation>
    </message>
    <message>
        <source>请填写账户名称</source>
        <translation>Enter an account name</translation>
    </message>
    <message>
        <source>请填写：{field}</source>
        <translation>Required: {field}</translation>
    </message>
</context>
<context>
    <name>GatewaysPage</name>
    <message>
        <source>名称</source>
        <translation>Name</translation>
    </message>
    <message>
        <source>类型</source>
        <translation>Type</translation>
    </message>
    <message>
        <source>自动退款</source>
        <translation>Auto refund</translation>
    </message>
    <message>
        <source>部分退款</source>
        <translation>Partial refund</translation>
    </message>
    <message>
        <source>幂等</source>
        <translation>Idempotent</translation>
    </message>
    <message>
        <source>启用</source>
        <translation>Enabled</translation>
    </message>
    <message>
        <source>上次测试</source>
        <translation>Last test</translation>
    </message>
    <message>
        <source>添加账户…</source>
        <translation>Add account…</translation>
    </message>
    <message>
        <source>编辑…</source>
        <translation>Edit…</translation>
    </message>
    <message>
        <source>测试连接</source>
        <translation>Test connection</translation>
    </message>
    <message>
        <source>「幂等」表示同一笔退款重复发送也只退一次；没有幂等的网关（如易支付V1）每笔退款需要确认，结果不明时不会自动重发。</source>
        <translation>&quot;Idempotent&quot; means a refund sent twice is paid out only once. Gateways without it (e.g. Epay V1) need each refund confirmed and never re-send one whose outcome is unknown.</translation>
    </message>
    <message>
        <source>✓ 支持</source>
        <translation>✓ Yes</translation>
    </message>
    <message>
        <source>✗ 不支持</source>
        <translation>✗ No</translation>
    </message>
    <message>
        <source>停用</source>
        <translation>Disabled</translation>
    </message>
    <message>
        <source>未测试</source>
        <translation>Not tested</translation>
    </message>
    <message>
        <source>只读操作员可以测试连接，结果只给你看，不会保存到“上次测试”</source>
        <translation>A viewer may test the connection: the result is shown to you and not saved as the last test</translation>
    </message>
    <message>
        <source>正在测试 {name}…</source>
        <translation>Testing {name}…</translation>
    </message>
    <message>
        <source>（只读操作员的测试结果不保存，“上次测试”没有改动）</source>
        <translation> (a viewer&apos;s test result is not saved: the last test is unchanged)</translation>
    </message>
    <message>
        <source>{name}：连接正常。{message}</source>
        <translation>{name}: connected. {message}</translation>
    </message>
    <message>
        <source>（{detail}）</source>
        <translation> ({detail})</translation>
    </message>
    <message>
        <source>{name}：连接失败。{message}{detail}</source>
        <translation>{name}: connection failed. {message}{detail}</translation>
    </message>
</context>
<context>
    <name>HoldBanner</name>
    <message>
        <source>放行此单</source>
        <translation>Release this order</translation>
    </message>
    <message>
        <source>扣留待审：买家在黑名单上（{reason}），此订单不会发货，直到你放行</source>
        <translation>Held for review: the buyer is blocked ({reason}); this order is not delivered until you release it</translation>
    </message>
    <message>
        <source>扣留待审：买家已解除拉黑，但此订单仍等你决定放行或取消</source>
        <translation>Held for review: the buyer was unblocked, but this order waits for you to release or cancel it</translation>
    </message>
    <message>
        <source>全部放行（{n}）</source>
        <translation>Release all ({n})</translation>
    </message>
</context>
<context>
    <name>HolidaysBox</name>
    <message>
        <source>法定节假日</source>
        <translation>Statutory holidays</translation>
    </message>
    <message>
        <source>国务院公布新一年的放假安排后，可在内置数据更新前先导入（JSON 或 CSV：日期、休/班、名称）。未知年份里按工作日推算的日期标为“约”。</source>
        <translation>Once the State Council publishes next year&apos;s holiday schedule, load it here before the built-in data is updated (JSON or CSV: date, off/work, name). Dates counted across a year not known yet are marked &quot;approx.&quot;.</translation>
    </message>
    <message>
        <source>导入放假安排…</source>
        <translation>Load holiday schedule…</translation>
    </message>
    <message>
        <source>移除所选年份</source>
        <translation>Remove selected year</translation>
    </message>
    <message>
        <source>{year} 年：已导入（{holidays} 天假日，{workdays} 个调休上班日）</source>
        <translation>{year}: loaded ({holidays} days off, {workdays} make-up working days)</translation>
    </message>
    <message>
        <source>{year} 年：内置数据</source>
        <translation>{year}: built-in data</translation>
    </message>
    <message>
        <source>{year} 年：仅知元旦、劳动节、国庆节，其余日期为约数</source>
        <translation>{year}: only New Year&apos;s Day, Labour Day and National Day are known; other dates are approximate</translation>
    </message>
    <message>
        <source>导入放假安排</source>
        <translation>Load holiday schedule</translation>
    </message>
    <message>
        <source>放假安排 (*.json *.csv)</source>
        <translation>Holiday schedules (*.json *.csv)</translation>
    </message>
    <message>
        <source>已导入 {years} 年的放假安排；{requests} 个申请的处理时限、{refunds} 笔退款的预计到账日已重新计算。</source>
        <translation>Loaded the holiday schedule for {years}; re-computed {requests} request deadline(s) and {refunds} refund ETA(s).</translation>
    </message>
    <message>
        <source>已移除 {year} 年的导入安排。</source>
        <translation>Removed the loaded schedule for {year}.</translation>
    </message>
</context>
<context>
    <name>IdleWatch</name>
    <message>
        <source>当前操作员已被停用或已退出，请重新登录。</source>
        <translation>The operator at the desk was disabled or signed out: please sign in again.</translation>
    </message>
    <message>
        <source>已经 {n} 分钟没有操作，请重新登录。</source>
        <translation>Nothing was done for {n} min: please sign in again.</translation>
    </message>
</context>
<context>
    <name>ImportCodesDialog</name>
    <message>
        <source>导入卡密：{product}</source>
        <translation>Import codes: {product}</translation>
    </message>
    <message>
        <source>每行一个卡密，或「卡号----密码」（也可用 Tab、逗号或空格分隔）</source>
        <translation>One code a line, or &apos;card no----password&apos; (tab, comma or spaces work too)</translation>
    </message>
    <message>
        <source>从文件…</source>
        <translation>From file…</translation>
    </message>
    <message>
        <source>例如：11月进货</source>
        <translation>e.g. November stock</translation>
    </message>
    <message>
        <source>每个卡密的成本，可不填</source>
        <translation>cost per code (optional)</translation>
    </message>
    <message>
        <source>批次备注</source>
        <translation>Batch note</translation>
    </message>
    <message>
        <source>成本（元）</source>
        <translation>Cost (yuan)</translation>
    </message>
    <message>
        <source>粘贴卡密，或从 .txt / .csv / .xlsx 文件读入：</source>
        <translation>Paste codes, or read a .txt / .csv / .xlsx file:</translation>
    </message>
    <message>
        <source>选择卡密文件</source>
        <translation>Choose a code file</translation>
    </message>
    <message>
        <source>卡密文件 (*.txt *.csv *.xlsx);;所有文件 (*)</source>
        <translation>Code files (*.txt *.csv *.xlsx);;All files (*)</translation>
    </message>
    <message>
        <source>可导入 {new} 个；重复 {dup} 个、有问题 {bad} 个，不会导入</source>
        <translation>{new} to import; {dup} duplicates and {bad} with problems will not be imported</translation>
    </message>
    <message>
        <source>第 {line} 行：卡密已售出或作废，永远不能再导入</source>
        <translation>Line {line}: the code was sold or voided and can never be imported again</translation>
    </message>
    <message>
        <source>第 {line} 行：卡密已在库中</source>
        <translation>Line {line}: the code is already stored</translation>
    </message>
    <message>
        <source>第 {line} 行：与第 {first} 行重复</source>
        <translation>Line {line}: same code as line {first}</translation>
    </message>
    <message>
        <source>导入 {n} 个</source>
        <translation>Import {n}</translation>
    </message>
    <message>
        <source>请粘贴卡密或从文件读入</source>
        <translation>Paste codes or read a file</translation>
    </message>
    <message>
        <source>正在检查…</source>
        <translation>Checking…</translation>
    </message>
    <message>
        <source>没有可导入的新卡密</source>
        <translation>No new code to import</translation>
    </message>
</context>
<context>
    <name>ImportDialog</name>
    <message>
        <source>导入订单</source>
        <translation>Import orders</translation>
    </message>
    <message>
        <source>选择其他文件…</source>
        <translation>Choose another file…</translation>
    </message>
    <message>
        <source>文件的前几行（表头下：订单台读作的字段；点列标题可以改）</source>
        <translation>The file&apos;s first rows (under each header: the field the desk reads it as; click a column title to change it)</translation>
    </message>
    <message>
        <source>导入没有问题的行（有问题的行跳过，并列在结果里）</source>
        <translation>Import the good rows (rows with problems are skipped and listed in the result)</translation>
    </message>
    <message>
        <source>全部或全不：只要有一行有问题，就一行也不导入</source>
        <translation>All or nothing: if any row has a problem, import no row at all</translation>
    </message>
    <message>
        <source>导入</source>
        <translation>Import</translation>
    </message>
    <message>
        <source>关闭</source>
        <translation>Close</translation>
    </message>
    <message>
        <source>导入在单独的进程中进行，窗口保持响应。每批 5000 行一起写入：停止时已写入的批次完整保留，正在处理的这一批不会写入。</source>
        <translation>The import runs in a separate process; the window stays responsive. Rows are written 5,000 at a time: stopping keeps every batch already written, whole, and does not write the batch in progress.</translation>
    </message>
    <message>
        <source>停止导入</source>
        <translation>Stop import</translation>
    </message>
    <message>
        <source>导出被拒绝的行（CSV）…</source>
        <translation>Export refused rows (CSV)…</translation>
    </message>
    <message>
        <source>文件：{name}（正在读取…）</source>
        <translation>File: {name} (reading…)</translation>
    </message>
    <message>
        <source>无法读取文件：{error}</source>
        <translation>Cannot read the file: {error}</translation>
    </message>
    <message>
        <source>文件：{name}</source>
        <translation>File: {name}</translation>
    </message>
    <message>
        <source>这个文件不能导入：{reason}</source>
        <translation>This file cannot be imported: {reason}</translation>
    </message>
    <message>
        <source>约 {n} 行</source>
        <translation>about {n} rows</translation>
    </message>
    <message>
        <source>行数未知</source>
        <translation>row count unknown</translation>
    </message>
    <message>
        <source>文件：{name}（{kind}，{size}）</source>
        <translation>File: {name} ({kind}, {size})</translation>
    </message>
    <message>
        <source>只导入第一个工作表；其他工作表不会导入：{sheets}（请把它们另存为单独的文件再导入）</source>
        <translation>Only the first worksheet is imported; these other worksheets will not be: {sheets} (save each as a file of its own and import it)</translation>
    </message>
    <message>
        <source>表头不对，不能导入：{reason}</source>
        <translation>The header is not right, so the file cannot be imported: {reason}</translation>
    </message>
    <message>
        <source>缺少必需的列：{fields}</source>
        <translation>Required columns missing: {fields}</translation>
    </message>
    <message>
        <source>点红色的列标题，选它对应的字段或「不导入这一列」；也可以在表格里改好表头后再选择文件。</source>
        <translation>Click a red column title and choose its field, or &apos;Do not import this column&apos;; or correct the header in the spreadsheet and choose the file again.</translation>
    </message>
    <message>
        <source>正在检查每一行（与导入相同的规则，不写入）…</source>
        <translation>Checking every row (the same rules as the import, nothing written)…</translation>
    </message>
    <message numerus="yes">
        <source>正在检查每一行（与导入相同的规则，不写入）… 已检查 {n} 行</source>
        <translation>
            <numerusform>Checking every row (the same rules as the import, nothing written)… {n} row checked</numerusform>
            <numerusform>Checking every row (the same rules as the import, nothing written)… {n} rows checked</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>文件中的 {n} 行都已在订单台里，内容相同：导入不会改动任何订单。</source>
        <translation>
            <numerusform>The file&apos;s {n} row is already in the desk and the same: importing would change no order.</numerusform>
            <numerusform>All {n} rows of the file are already in the desk and the same: importing would change no order.</numerusform>
        </translation>
    </message>
    <message>
        <source>检查完毕：{rows} 行中，可新增 {new} 行，可更新 {updated} 行，已存在且相同 {same} 行，有问题 {bad} 行。</source>
        <translation>Checked {rows} rows: {new} can be added, {updated} can be updated, {same} are already there and the same, {bad} have problems.</translation>
    </message>
    <message>
        <source>下面列出前 {n} 行。</source>
        <translation>The first {n} are listed below.</translation>
    </message>
    <message>
        <source>已支付的卡密订单：按现在的库存，{d} 单会从库存发货，{b} 单会缺卡密、进入缺货待发。</source>
        <translation>Paid card-code orders, with the codes in stock now: {d} would be delivered from stock, {b} would wait for codes.</translation>
    </message>
    <message>
        <source>{n} 个新订单属于黑名单买家，导入时会扣留待审。</source>
        <translation>{n} new order(s) of blocked buyers would be held for review.</translation>
    </message>
    <message>
        <source>文件在第 {row} 行之后无法读取：{reason}</source>
        <translation>The file cannot be read after row {row}: {reason}</translation>
    </message>
    <message>
        <source>有问题的行：选「导入没有问题的行」会跳过它们；选「全部或全不」将一行也不导入。</source>
        <translation>Rows with problems: &quot;Import the good rows&quot; skips them; &quot;All or nothing&quot; imports no row.</translation>
    </message>
    <message>
        <source>正在导入 {name}</source>
        <translation>Importing {name}</translation>
    </message>
    <message>
        <source>正在启动…</source>
        <translation>Starting…</translation>
    </message>
    <message>
        <source>正在停止…</source>
        <translation>Stopping…</translation>
    </message>
    <message>
        <source>正在停止：当前这一批不会写入，已写入的批次保留…</source>
        <translation>Stopping: the batch in progress will not be written; batches already written are kept…</translation>
    </message>
    <message>
        <source>已处理 {done} / {total} 行，已写入 {written} 行</source>
        <translation>{done} of {total} rows done, {written} written</translation>
    </message>
    <message>
        <source>，正在收尾…</source>
        <translation>, finishing…</translation>
    </message>
    <message>
        <source>，</source>
        <translation>, </translation>
    </message>
    <message>
        <source>已处理 {done} 行，已写入 {written} 行</source>
        <translation>{done} rows done, {written} written</translation>
    </message>
    <message>
        <source>已从 {name} 导入：新增 {new} 行，更新 {updated} 行</source>
        <translation>Imported from {name}: {new} rows added, {updated} updated</translation>
    </message>
    <message>
        <source>导入没有完成：{reason}</source>
        <translation>The import did not finish: {reason}</translation>
    </message>
    <message>
        <source>已写入的批次完整保留；再次导入同一文件即可继续（已导入的行计为未变）。</source>
        <translation>The batches already written are kept, whole; import the same file again to finish (rows already in count as unchanged).</translation>
    </message>
    <message>
        <source>没有保存：{error}</source>
        <translation>Not saved: {error}</translation>
    </message>
    <message numerus="yes">
        <source>已保存 {n} 行到 {path}</source>
        <translation>
            <numerusform>Saved {n} row to {path}</numerusform>
            <numerusform>Saved {n} rows to {path}</numerusform>
        </translation>
    </message>
    <message>
        <source>（共 {total} 行被拒绝，这里是前 {n} 行：改好后再导入同一文件，即可看到其余的）</source>
        <translation> ({total} rows were refused in all; these are the first {n}: fix them and import the same file again to see the rest)</translation>
    </message>
    <message>
        <source>不认识</source>
        <extracomment>What the file dialogs offer: the formats ``orders import`` reads (by content, not by name).</extracomment>
        <translation>not known</translation>
    </message>
    <message>
        <source>（无表头）</source>
        <translation>(no header)</translation>
    </message>
    <message>
        <source>不导入</source>
        <translation>not imported</translation>
    </message>
    <message>
        <source>约剩 {n} 秒</source>
        <translation>about {n} s left</translation>
    </message>
    <message>
        <source>约剩 {m} 分 {s} 秒</source>
        <translation>about {m} min {s} s left</translation>
    </message>
    <message>
        <source>选择要导入的订单文件</source>
        <translation>Choose the orders file to import</translation>
    </message>
    <message>
        <source>表格文件 ({patterns})</source>
        <translation>Table files ({patterns})</translation>
    </message>
    <message>
        <source>所有文件 (*)</source>
        <translation>All files (*)</translation>
    </message>
    <message>
        <source>保存被拒绝的行</source>
        <translation>Save the refused rows</translation>
    </message>
    <message>
        <source>CSV 文件 (*.csv)</source>
        <translation>CSV files (*.csv)</translation>
    </message>
    <message>
        <source>订单台不认识这一列的表头：点它选择对应的字段，或选「不导入这一列」</source>
        <translation>The desk does not know this column&apos;s header: click it to choose its field, or &apos;Do not import this column&apos;</translation>
    </message>
    <message>
        <source>点列标题可以改它对应的字段</source>
        <translation>Click the column title to change its field</translation>
    </message>
    <message>
        <source>（必需）</source>
        <translation> (required)</translation>
    </message>
    <message>
        <source>不导入这一列</source>
        <translation>Do not import this column</translation>
    </message>
    <message>
        <source>行</source>
        <translation>Row</translation>
    </message>
    <message>
        <source>列</source>
        <translation>Column</translation>
    </message>
    <message>
        <source>值</source>
        <translation>Value</translation>
    </message>
    <message>
        <source>原因</source>
        <translation>Reason</translation>
    </message>
    <message>
        <source>整行</source>
        <translation>whole row</translation>
    </message>
    <message>
        <source>已停止：按「全部或全不」导入，一行也没有写入。</source>
        <translation>Stopped: imported all-or-nothing, so no row was written.</translation>
    </message>
    <message>
        <source>已停止：文件第 {row} 行及之前的行已处理（写入 {written} 行），之后的行没有导入。再次导入同一文件即可继续（已导入的行计为未变）。</source>
        <translation>Stopped: the rows up to row {row} of the file are done ({written} rows written); the rows after it were not imported. Import the same file again to finish (rows already in count as unchanged).</translation>
    </message>
    <message>
        <source>没有导入任何行：文件在第 {row} 行停止，按「全部或全不」一行也没有写入。</source>
        <translation>Nothing was imported: the file stopped at row {row}, and with all-or-nothing not a row was written.</translation>
    </message>
    <message>
        <source>没有导入任何行：有 {n} 行有问题，按「全部或全不」一行也没有写入。</source>
        <translation>Nothing imported: rows with problems: {n}, and all-or-nothing wrote no row.</translation>
    </message>
    <message>
        <source>导入在第 {row} 行停止：{reason}。之前的行已导入。</source>
        <translation>The import stopped at row {row}: {reason}. The rows before it are imported.</translation>
    </message>
    <message>
        <source>没有新内容：文件中的 {n} 行都已在订单台里，没有改动任何订单。</source>
        <translation>Nothing new: all {n} rows of the file are already in the desk; no order was changed.</translation>
    </message>
    <message>
        <source>没有导入任何行：每一行都有问题（见下表）。</source>
        <translation>Nothing imported: every row has a problem (see the table).</translation>
    </message>
    <message>
        <source>部分导入：{n} 行有问题被跳过（见下表），其余已导入。</source>
        <translation>Partly imported: rows with problems skipped (see the table): {n}; the rest are imported.</translation>
    </message>
    <message>
        <source>部分导入：只导入了第一个工作表，其他工作表没有导入（见下方）。</source>
        <translation>Imported in part: only the first worksheet was imported; the other worksheets were not (see below).</translation>
    </message>
    <message>
        <source>导入完成。</source>
        <translation>Import complete.</translation>
    </message>
    <message>
        <source>新增 {n} 行</source>
        <translation>Rows added: {n}</translation>
    </message>
    <message>
        <source>更新 {n} 行（状态向前推进）</source>
        <translation>Rows updated (status moved forward): {n}</translation>
    </message>
    <message>
        <source>已存在且相同，跳过 {n} 行</source>
        <translation>Rows already there and the same, skipped: {n}</translation>
    </message>
    <message>
        <source>拒绝 {n} 行</source>
        <translation>Rows refused: {n}</translation>
    </message>
    <message>
        <source>已支付的卡密订单：{d} 单已从库存发货，{b} 单无卡密、进入缺货待发</source>
        <translation>Paid card-code orders: {d} delivered from stock, {b} waiting for codes (backorders)</translation>
    </message>
    <message>
        <source>空行 {n} 行（忽略）</source>
        <translation>Blank rows (ignored): {n}</translation>
    </message>
    <message>
        <source>提示 {n} 条，例如第 {row} 行：{text}</source>
        <translation>Warnings: {n}, for example row {row}: {text}</translation>
    </message>
    <message>
        <source>下表列出前 {n} 个被拒绝的行。</source>
        <translation>The table lists the first {n} refused rows.</translation>
    </message>
</context>
<context>
    <name>Labels</name>
    <message>
        <source>待支付</source>
        <translation>Unpaid</translation>
    </message>
    <message>
        <source>待发货</source>
        <translation>To deliver</translation>
    </message>
    <message>
        <source>已发货</source>
        <translation>Delivered</translation>
    </message>
    <message>
        <source>已完成</source>
        <translation>Completed</translation>
    </message>
    <message>
        <source>已取消</source>
        <translation>Cancelled</translation>
    </message>
    <message>
        <source>部分退款</source>
        <translation>Part-refunded</translation>
    </message>
    <message>
        <source>已退款</source>
        <translation>Refunded</translation>
    </message>
    <message>
        <source>退款中</source>
        <translation>Refunding</translation>
    </message>
    <message>
        <source>扣留待审</source>
        <translation>Held</translation>
    </message>
    <message>
        <source>下单</source>
        <translation>Order placed</translation>
    </message>
    <message>
        <source>支付成功</source>
        <translation>Paid</translation>
    </message>
    <message>
        <source>导入</source>
        <translation>Imported</translation>
    </message>
    <message>
        <source>导入更新</source>
        <translation>Import update</translation>
    </message>
    <message>
        <source>补单</source>
        <translation>Marked paid</translation>
    </message>
    <message>
        <source>发货</source>
        <translation>Delivered</translation>
    </message>
    <message>
        <source>完成</source>
        <translation>Completed</translation>
    </message>
    <message>
        <source>登记卡密使用情况</source>
        <translation>Code use recorded</translation>
    </message>
    <message>
        <source>查看卡密</source>
        <translation>Code revealed</translation>
    </message>
    <message>
        <source>复制卡密</source>
        <translation>Code copied</translation>
    </message>
    <message>
        <source>放行</source>
        <translation>Released</translation>
    </message>
    <message>
        <source>缺货待发</source>
        <translation>Waiting for codes</translation>
    </message>
    <message>
        <source>卡密回库</source>
        <translation>Code returned to stock</translation>
    </message>
    <message>
        <source>作废卡密</source>
        <translation>Code voided</translation>
    </message>
    <message>
        <source>取消订单</source>
        <translation>Cancelled</translation>
    </message>
    <message>
        <source>超时关闭</source>
        <translation>Expired unpaid</translation>
    </message>
    <message>
        <source>恢复订单</source>
        <translation>Restored</translation>
    </message>
    <message>
        <source>登记取消申请</source>
        <translation>Cancel request opened</translation>
    </message>
    <message>
        <source>登记售后争议</source>
        <translation>Dispute opened</translation>
    </message>
    <message>
        <source>批准申请</source>
        <translation>Request approved</translation>
    </message>
    <message>
        <source>自动批准</source>
        <translation>Auto-approved</translation>
    </message>
    <message>
        <source>拒绝申请</source>
        <translation>Request rejected</translation>
    </message>
    <message>
        <source>申请已逾期</source>
        <translation>Request overdue</translation>
    </message>
    <message>
        <source>退款成功</source>
        <translation>Refund succeeded</translation>
    </message>
    <message>
        <source>退款失败</source>
        <translation>Refund failed</translation>
    </message>
    <message>
        <source>退款结果未知</source>
        <translation>Refund outcome unknown</translation>
    </message>
    <message>
        <source>退款处理中</source>
        <translation>Refund processing</translation>
    </message>
    <message>
        <source>退款重新排队</source>
        <translation>Refund requeued</translation>
    </message>
    <message>
        <source>退款发送中</source>
        <translation>Refund sending</translation>
    </message>
    <message>
        <source>发出退款</source>
        <translation>Refund sent</translation>
    </message>
    <message>
        <source>退款待人工处理</source>
        <translation>Refund needs the owner</translation>
    </message>
    <message>
        <source>网关迟到的退款回复</source>
        <translation>Late refund reply from the gateway</translation>
    </message>
    <message>
        <source>重新发送退款</source>
        <translation>Refund re-sent</translation>
    </message>
    <message>
        <source>确认发送退款</source>
        <translation>Refund confirmed</translation>
    </message>
    <message>
        <source>人工处理退款</source>
        <translation>Refund resolved by hand</translation>
    </message>
    <message>
        <source>网关查到付款</source>
        <translation>Payment found at the gateway</translation>
    </message>
    <message>
        <source>更正付款时间</source>
        <translation>Payment time corrected</translation>
    </message>
    <message>
        <source>关闭后付款</source>
        <translation>Paid after closing</translation>
    </message>
    <message>
        <source>优惠券重复使用</source>
        <translation>Coupon used twice</translation>
    </message>
    <message>
        <source>付款需核对</source>
        <translation>Payment to check</translation>
    </message>
    <message>
        <source>网关交易已关闭</source>
        <translation>Trade closed at the gateway</translation>
    </message>
    <message>
        <source>网关不支持关闭交易</source>
        <translation>Gateway cannot close trades</translation>
    </message>
    <message>
        <source>关闭网关交易</source>
        <translation>Closing the gateway trade</translation>
    </message>
    <message>
        <source>支付方式改回网关</source>
        <translation>Channel set back to the gateway&apos;s</translation>
    </message>
    <message>
        <source>对账修正</source>
        <translation>Fixed by reconciliation</translation>
    </message>
    <message>
        <source>对账差异已说明</source>
        <translation>Reconciliation difference explained</translation>
    </message>
    <message>
        <source>生成收款二维码</source>
        <translation>QR payment created</translation>
    </message>
    <message>
        <source>收款二维码未生成，订单作废</source>
        <translation>QR payment not created; order void</translation>
    </message>
    <message>
        <source>店主</source>
        <translation>Owner</translation>
    </message>
    <message>
        <source>系统</source>
        <translation>System</translation>
    </message>
    <message>
        <source>买家</source>
        <translation>Buyer</translation>
    </message>
    <message>
        <source>支付网关</source>
        <translation>Gateway</translation>
    </message>
    <message>
        <source>待审核</source>
        <translation>Open</translation>
    </message>
    <message>
        <source>已批准</source>
        <translation>Approved</translation>
    </message>
    <message>
        <source>已拒绝</source>
        <translation>Rejected</translation>
    </message>
    <message>
        <source>支付宝</source>
        <translation>Alipay</translation>
    </message>
    <message>
        <source>微信支付</source>
        <translation>WeChat Pay</translation>
    </message>
    <message>
        <source>银行卡</source>
        <translation>Bank card</translation>
    </message>
    <message>
        <source>余额</source>
        <translation>Wallet</translation>
    </message>
    <message>
        <source>现金</source>
        <translation>Cash</translation>
    </message>
    <message>
        <source>银行转账</source>
        <translation>Bank transfer</translation>
    </message>
    <message>
        <source>卡密</source>
        <extracomment>The payment channels, in the order the labels are listed.</extracomment>
        <translation>Card code</translation>
    </message>
    <message>
        <source>直充</source>
        <translation>Direct top-up</translation>
    </message>
    <message>
        <source>实物</source>
        <translation>Physical</translation>
    </message>
    <message>
        <source>可售</source>
        <translation>Available</translation>
    </message>
    <message>
        <source>已预留</source>
        <translation>Reserved</translation>
    </message>
    <message>
        <source>已发出</source>
        <translation>Delivered</translation>
    </message>
    <message>
        <source>已锁定</source>
        <translation>Locked</translation>
    </message>
    <message>
        <source>已作废</source>
        <translation>Void</translation>
    </message>
    <message>
        <source>订单号</source>
        <translation>order no</translation>
    </message>
    <message>
        <source>手机号</source>
        <translation>phone number</translation>
    </message>
    <message>
        <source>QQ号</source>
        <translation>QQ number</translation>
    </message>
    <message>
        <source>邮箱</source>
        <translation>e-mail</translation>
    </message>
    <message>
        <source>交易号</source>
        <translation>trade no</translation>
    </message>
    <message>
        <source>商品名/文字</source>
        <translation>product name / text</translation>
    </message>
    <message>
        <source>订单号尾号</source>
        <translation>order no ending</translation>
    </message>
    <message>
        <source>商品名</source>
        <translation>product name</translation>
    </message>
    <message>
        <source>误拍</source>
        <translation>Ordered by mistake</translation>
    </message>
    <message>
        <source>重复下单</source>
        <translation>Duplicate order</translation>
    </message>
    <message>
        <source>商品/区服错误</source>
        <translation>Wrong item or region</translation>
    </message>
    <message>
        <source>不需要了</source>
        <translation>No longer needed</translation>
    </message>
    <message>
        <source>支付方式错误</source>
        <translation>Wrong payment method</translation>
    </message>
    <message>
        <source>商家原因(发错货/卡密无效)</source>
        <translation>Merchant fault (wrong or invalid code)</translation>
    </message>
    <message>
        <source>其他</source>
        <translation>Other</translation>
    </message>
    <message>
        <source>已使用</source>
        <translation>Used</translation>
    </message>
    <message>
        <source>未使用</source>
        <translation>Unused</translation>
    </message>
    <message>
        <source>未知</source>
        <translation>Unknown</translation>
    </message>
</context>
<context>
    <name>MainWindow</name>
    <message>
        <source>kashop 卡店订单台</source>
        <extracomment>Navigation order: key and the class of the screen (None: the orders page, built here). The window&apos;s size on a first run, where the screen has room for it and its frame. Room a window manager&apos;s frame and title bar take around the window (width, height).</extracomment>
        <translation>kashop order desk</translation>
    </message>
    <message>
        <source>新建订单…</source>
        <translation>New sale…</translation>
    </message>
    <message>
        <source>在店里直接卖：扫码或当面收款（订单 &gt; 新建订单，Ctrl+N）</source>
        <translation>Sell at the desk: paid by QR code or in person (Orders &gt; New sale, Ctrl+N)</translation>
    </message>
    <message>
        <source>数据库服务器：{url}</source>
        <translation>Database server: {url}</translation>
    </message>
    <message>
        <source>数据文件：{path}</source>
        <translation>Data file: {path}</translation>
    </message>
    <message>
        <source>切换操作员</source>
        <translation>Switch operator</translation>
    </message>
    <message>
        <source>换一位操作员登录（之后的操作记在新登录者名下）</source>
        <translation>Let another operator sign in (what follows is recorded under their name)</translation>
    </message>
    <message>
        <source>文件(&amp;F)</source>
        <translation>&amp;File</translation>
    </message>
    <message>
        <source>导入订单(&amp;I)…</source>
        <translation>&amp;Import orders…</translation>
    </message>
    <message>
        <source>导出订单(&amp;E)…</source>
        <translation>&amp;Export orders…</translation>
    </message>
    <message>
        <source>立即备份(&amp;B)</source>
        <translation>&amp;Back up now</translation>
    </message>
    <message>
        <source>恢复备份(&amp;R)…</source>
        <translation>&amp;Restore backup…</translation>
    </message>
    <message>
        <source>退出(&amp;Q)</source>
        <translation>&amp;Quit</translation>
    </message>
    <message>
        <source>订单(&amp;O)</source>
        <translation>&amp;Orders</translation>
    </message>
    <message>
        <source>新建订单(&amp;N)…</source>
        <translation>&amp;New sale…</translation>
    </message>
    <message>
        <source>支付(&amp;P)</source>
        <translation>&amp;Payments</translation>
    </message>
    <message>
        <source>同步支付(&amp;S)</source>
        <translation>&amp;Sync payments</translation>
    </message>
    <message>
        <source>立即向网关查询所有待支付订单（及刚过期的订单）是否已付款，已付款的自动补单发货</source>
        <translation>Ask the gateways now whether unpaid (and recently expired) orders were paid; paid ones are marked paid and delivered</translation>
    </message>
    <message>
        <source>对账(&amp;R)…</source>
        <translation>&amp;Reconcile…</translation>
    </message>
    <message>
        <source>帮助(&amp;H)</source>
        <translation>&amp;Help</translation>
    </message>
    <message>
        <source>关于(&amp;A)</source>
        <translation>&amp;About</translation>
    </message>
    <message>
        <source>导出…</source>
        <translation>Export…</translation>
    </message>
    <message>
        <source>把当前列表（标签、搜索、日期）导出为 CSV 或 Excel（文件 &gt; 导出订单，Ctrl+E）</source>
        <translation>Export the list as shown (tab, search, dates) to CSV or Excel (File &gt; Export orders, Ctrl+E)</translation>
    </message>
    <message>
        <source>售后申请（{open}）
逾期 {overdue}</source>
        <translation>Requests ({open})
{overdue} overdue</translation>
    </message>
    <message>
        <source>售后申请（{open}）</source>
        <translation>Requests ({open})</translation>
    </message>
    <message>
        <source>售后申请</source>
        <translation>Requests</translation>
    </message>
    <message>
        <source>订单</source>
        <translation>Orders</translation>
    </message>
    <message>
        <source>退款队列（{n}）</source>
        <translation>Refunds ({n})</translation>
    </message>
    <message>
        <source>退款队列</source>
        <translation>Refunds</translation>
    </message>
    <message>
        <source>商品</source>
        <translation>Products</translation>
    </message>
    <message>
        <source>报表</source>
        <translation>Reports</translation>
    </message>
    <message>
        <source>网关</source>
        <translation>Gateways</translation>
    </message>
    <message>
        <source>设置</source>
        <translation>Settings</translation>
    </message>
    <message numerus="yes">
        <source>退款中：{n}（待人工处理 {owner}）</source>
        <translation>
            <numerusform>Refunds in progress: {n} ({owner} needs the owner)</numerusform>
            <numerusform>Refunds in progress: {n} ({owner} need the owner)</numerusform>
        </translation>
    </message>
    <message>
        <source>退款中：{n}</source>
        <translation>Refunds in progress: {n}</translation>
    </message>
    <message>
        <source>，</source>
        <translation>, </translation>
    </message>
    <message>
        <source>{state} {count}</source>
        <translation>{state} {count}</translation>
    </message>
    <message>
        <source>卡密（缺货待发 {n}）</source>
        <translation>Card codes ({n} waiting)</translation>
    </message>
    <message>
        <source>卡密</source>
        <translation>Card codes</translation>
    </message>
    <message>
        <source>库存不足：{names}</source>
        <translation>Low stock: {names}</translation>
    </message>
    <message>
        <source>、</source>
        <translation>, </translation>
    </message>
    <message numerus="yes">
        <source>缺货待发 {n} 单</source>
        <translation>
            <numerusform>{n} order waiting for codes</numerusform>
            <numerusform>{n} orders waiting for codes</numerusform>
        </translation>
    </message>
    <message>
        <source>；</source>
        <translation>; </translation>
    </message>
    <message>
        <source>与数据库服务器的连接已恢复，已重新读取</source>
        <translation>The connection to the database server is back; everything was read again</translation>
    </message>
    <message>
        <source>数据已被其他程序（命令行或另一个窗口）改动，已重新读取</source>
        <translation>Another program (the command line or another window) changed the data; read again</translation>
    </message>
    <message>
        <source>同步支付正在进行，请稍候</source>
        <translation>A payment sync is running; please wait</translation>
    </message>
    <message>
        <source>正在同步支付…</source>
        <translation>Syncing payments…</translation>
    </message>
    <message>
        <source>网关 …</source>
        <translation>Gateways …</translation>
    </message>
    <message>
        <source>{name}：未知</source>
        <translation>{name}: unknown</translation>
    </message>
    <message>
        <source>{name}：可达</source>
        <translation>{name}: reachable</translation>
    </message>
    <message>
        <source>{name}：离线</source>
        <translation>{name}: offline</translation>
    </message>
    <message>
        <source>网关 {states}</source>
        <translation>Gateways {states}</translation>
    </message>
    <message>
        <source>网关：可达 {ok} · 离线 {off} · 未知 {unknown}</source>
        <translation>Gateways: {ok} reachable · {off} offline · {unknown} unknown</translation>
    </message>
    <message>
        <source>每次发送退款或同步支付后更新；之前为「未知」</source>
        <translation>Updated after each refund send or payment sync; &apos;unknown&apos; before</translation>
    </message>
    <message>
        <source>未登录</source>
        <translation>Nobody signed in</translation>
    </message>
    <message>
        <source>操作员：{name}（{role}）</source>
        <translation>Operator: {name} ({role})</translation>
    </message>
    <message>
        <source>仍由 {name} 操作</source>
        <translation>{name} is still signed in</translation>
    </message>
    <message>
        <source>{name} 已登录</source>
        <translation>{name} signed in</translation>
    </message>
    <message>
        <source>备份失败：{error}</source>
        <translation>Backup failed: {error}</translation>
    </message>
    <message>
        <source>已备份到 {path}</source>
        <translation>Backed up to {path}</translation>
    </message>
</context>
<context>
    <name>MarkPaidDialog</name>
    <message>
        <source>补单：标记已支付 {order_no}</source>
        <translation>Mark paid: {order_no}</translation>
    </message>
    <message>
        <source>确认补单</source>
        <translation>Mark paid</translation>
    </message>
    <message>
        <source>经网关付款（订单记录的支付方式）</source>
        <translation>Through the gateway (the order&apos;s own channel)</translation>
    </message>
    <message>
        <source>现金：买家直接付给本店</source>
        <translation>Cash: paid to the shop directly</translation>
    </message>
    <message>
        <source>银行转账：买家直接转给本店</source>
        <translation>Bank transfer: paid to the shop directly</translation>
    </message>
    <message>
        <source>买家没有经网关付款、而是直接付给本店时选现金或银行转账：之后的退款由店主手工退，不会发到网关</source>
        <translation>When the buyer paid the shop directly instead of through the gateway, choose cash or bank transfer: a later refund is the owner&apos;s, by hand, and is never sent to the gateway</translation>
    </message>
    <message>
        <source>网关后台显示的交易号</source>
        <translation>Trade no shown in the gateway back office</translation>
    </message>
    <message>
        <source>再输入一次交易号</source>
        <translation>Type the trade no again</translation>
    </message>
    <message>
        <source>我已在网关后台核实收款</source>
        <translation>I checked the payment in the gateway back office</translation>
    </message>
    <message>
        <source>按网关后台填写</source>
        <translation>As the gateway shows</translation>
    </message>
    <message>
        <source>不勾选：付款时间记为现在（补单的时间）</source>
        <translation>Unticked: the payment time is now, when it is marked paid</translation>
    </message>
    <message>
        <source>凭证号</source>
        <translation>Reference</translation>
    </message>
    <message>
        <source>转账记录上的流水号（现金可填收据号）</source>
        <translation>The transfer&apos;s serial no (for cash, a receipt no)</translation>
    </message>
    <message>
        <source>再输入一次凭证号</source>
        <translation>Type the reference again</translation>
    </message>
    <message>
        <source>按转账记录填写</source>
        <translation>As the transfer record shows</translation>
    </message>
    <message>
        <source>我已核实收到这笔钱</source>
        <translation>I checked that this money came in</translation>
    </message>
    <message>
        <source>补单会把订单记为已支付并自动发货。同一交易号重复补单不会有任何变化：每个订单最多发货一次。</source>
        <translation>Marking paid records the order as paid and delivers it. Marking it again with the same trade no changes nothing: an order is delivered at most once.</translation>
    </message>
    <message>
        <source>两次输入的凭证号不一致</source>
        <translation>The two references differ</translation>
    </message>
    <message>
        <source>请勾选：{check}</source>
        <translation>Tick: {check}</translation>
    </message>
    <message>
        <source>北京时间，以网关后台显示的付款时间为准</source>
        <translation>Beijing time, as the gateway&apos;s back office shows the payment</translation>
    </message>
    <message>
        <source>不发货：只记录收款（已在别处发货或退款）</source>
        <translation>Do not deliver: record the payment only</translation>
    </message>
    <message>
        <source>订单已在别处（例如旧系统）发货、退款或取消时勾选：不发货、不占用库存，订单记为已支付</source>
        <translation>Tick it when the order was delivered, refunded or cancelled elsewhere (the older system, say): nothing is delivered or taken from stock, and the order is recorded as paid</translation>
    </message>
    <message>
        <source>补单只把订单记为已支付：不发货，不占用库存。同一交易号重复补单不会有任何变化。</source>
        <translation>Marking paid only records the order as paid: nothing is delivered or taken from stock. Marking the same trade no again changes nothing.</translation>
    </message>
    <message>
        <source>钱没有经过网关：之后的退款由你手工退给买家，不会发到网关。</source>
        <translation>The money did not go through the gateway: a later refund is yours to pay back by hand; it is never sent to the gateway.</translation>
    </message>
    <message>
        <source>该订单已支付（交易号 {trade_no}）。用同一交易号再次补单不会产生任何变化。</source>
        <translation>This order is already paid (trade no {trade_no}). Marking it paid again with the same trade no changes nothing.</translation>
    </message>
    <message>
        <source>该订单记录的交易号是 {trade_no}。补单会把它改为你输入的交易号，时间线保留两者。</source>
        <translation>This order records trade no {trade_no}. Marking it paid replaces it with the one you type; the timeline keeps both.</translation>
    </message>
    <message>
        <source>网关交易号</source>
        <translation>Gateway trade no</translation>
    </message>
    <message>
        <source>收款方式</source>
        <translation>Paid by</translation>
    </message>
    <message>
        <source>再次输入</source>
        <translation>Confirm trade no</translation>
    </message>
    <message>
        <source>付款时间</source>
        <translation>Paid at</translation>
    </message>
    <message>
        <source>请填写网关交易号</source>
        <translation>Enter the gateway trade no</translation>
    </message>
    <message>
        <source>请填写凭证号</source>
        <translation>Enter the reference</translation>
    </message>
    <message>
        <source>两次输入的交易号不一致</source>
        <translation>The two trade nos differ</translation>
    </message>
</context>
<context>
    <name>NewSaleDialog</name>
    <message>
        <source>新建订单</source>
        <extracomment>Seconds between the dialog&apos;s own checks while the QR is open: soon at first, then every 15 s.</extracomment>
        <translation>New sale</translation>
    </message>
    <message>
        <source>创建</source>
        <translation>Create</translation>
    </message>
    <message>
        <source>取消订单</source>
        <translation>Cancel order</translation>
    </message>
    <message>
        <source>关闭</source>
        <translation>Close</translation>
    </message>
    <message>
        <source>手机、QQ 或邮箱，如 138 0013 8000、QQ 12345678</source>
        <translation>Phone, QQ or e-mail, e.g. 138 0013 8000, QQ 12345678</translation>
    </message>
    <message>
        <source>可不填</source>
        <translation>optional</translation>
    </message>
    <message>
        <source>转账流水号等，可不填</source>
        <translation>the transfer&apos;s reference, optional</translation>
    </message>
    <message>
        <source>没有能扫码收款的网关账户：在「网关」页添加支付宝、微信支付或易支付账户后，这里可以生成收款二维码</source>
        <translation>No gateway account can take a QR payment: add an Alipay, WeChat Pay or 易支付 account on the Gateways page to show a QR code here</translation>
    </message>
    <message>
        <source>商品</source>
        <translation>Product</translation>
    </message>
    <message>
        <source>数量</source>
        <translation>Quantity</translation>
    </message>
    <message>
        <source>买家</source>
        <translation>Buyer</translation>
    </message>
    <message>
        <source>优惠券</source>
        <translation>Coupon</translation>
    </message>
    <message>
        <source>应付</source>
        <translation>To pay</translation>
    </message>
    <message>
        <source>收款方式</source>
        <translation>Payment</translation>
    </message>
    <message>
        <source>收款凭证</source>
        <translation>Reference</translation>
    </message>
    <message>
        <source>{name}（{price}）</source>
        <translation>{name} ({price})</translation>
    </message>
    <message>
        <source>扫码：{account}</source>
        <translation>QR code: {account}</translation>
    </message>
    <message>
        <source>已当面收款：{method}</source>
        <translation>Paid in person: {method}</translation>
    </message>
    <message>
        <source>我已收到买家付款 {amount}（{method}）</source>
        <translation>I have received {amount} from the buyer ({method})</translation>
    </message>
    <message>
        <source>收款并发货</source>
        <translation>Take payment and deliver</translation>
    </message>
    <message>
        <source>创建并显示二维码</source>
        <translation>Create and show the QR code</translation>
    </message>
    <message>
        <source>单价 {price}，库存 {n} 件</source>
        <translation>Unit price {price}, {n} in stock</translation>
    </message>
    <message>
        <source>{amount}（原价 {list}，优惠券 −{coupon}）</source>
        <translation>{amount} (list {list}, coupon −{coupon})</translation>
    </message>
    <message>
        <source>手机/电话</source>
        <translation>Phone</translation>
    </message>
    <message>
        <source>QQ</source>
        <translation>QQ</translation>
    </message>
    <message>
        <source>邮箱</source>
        <translation>E-mail</translation>
    </message>
    <message>
        <source>其他（微信号等，按原样保存）</source>
        <translation>Other (a WeChat id etc., kept as written)</translation>
    </message>
    <message>
        <source>{kind}：{key}</source>
        <translation>{kind}: {key}</translation>
    </message>
    <message>
        <source>；该买家在黑名单，付款后订单扣留待审</source>
        <translation>; this buyer is blocked: once paid, the order is held for review</translation>
    </message>
    <message>
        <source>还没有商品：先在「商品」页添加</source>
        <translation>No product yet: add one on the Products page</translation>
    </message>
    <message>
        <source>没有可收款的网关账户</source>
        <translation>No gateway account can take payments</translation>
    </message>
    <message>
        <source>请先确认已收到买家付款</source>
        <translation>Confirm first that the buyer&apos;s money is in</translation>
    </message>
    <message>
        <source>正在向网关创建收款二维码…</source>
        <translation>Asking the gateway for the QR payment…</translation>
    </message>
    <message>
        <source>新建订单 {order_no}</source>
        <translation>New sale {order_no}</translation>
    </message>
    <message>
        <source>确认取消订单</source>
        <translation>Confirm cancel</translation>
    </message>
    <message>
        <source>再点一次「确认取消订单」：订单取消，库存和优惠券退回，并在网关关闭交易，买家将无法再付款</source>
        <translation>Click &apos;Confirm cancel&apos; to go on: the order is cancelled, its stock and coupon go back, and the trade is closed at the gateway so the buyer can no longer pay</translation>
    </message>
    <message>
        <source>订单 {order_no} 仍在等待付款：后台继续同步，付款后自动发货</source>
        <translation>Order {order_no} is still waiting for payment: the background sync keeps asking and delivers once it is paid</translation>
    </message>
</context>
<context>
    <name>NonIdempotentConfirm</name>
    <message>
        <source>⚠ 该网关（如易支付V1）没有退款幂等保护：退款只发送一次，结果不明时不会自动重发，需要到网关后台核实后手工处理。</source>
        <translation>⚠ This gateway (e.g. Epay V1) has no refund idempotency: the refund is sent once, and if its outcome is unknown it is not re-sent; check the gateway back office and resolve it by hand.</translation>
    </message>
    <message>
        <source>我已知晓，确认发送退款</source>
        <translation>I understand; send the refund</translation>
    </message>
    <message>
        <source>请先勾选确认：该网关没有退款幂等保护</source>
        <translation>Tick the confirmation first: this gateway has no refund idempotency</translation>
    </message>
</context>
<context>
    <name>OpDialog</name>
    <message>
        <source>取消</source>
        <translation>Cancel</translation>
    </message>
    <message>
        <source>操作失败：{error}</source>
        <translation>The operation failed: {error}</translation>
    </message>
</context>
<context>
    <name>OpenRequestDialog</name>
    <message>
        <source>代买家发起售后申请：{order_no}</source>
        <translation>After-sales request for the buyer: {order_no}</translation>
    </message>
    <message>
        <source>提交申请</source>
        <translation>Submit request</translation>
    </message>
    <message>
        <source>说清楚原因，例如：面值50误拍100；收到B卡密而非A</source>
        <translation>Say why, e.g. ordered 100 instead of 50; got code B instead of A</translation>
    </message>
    <message>
        <source>证据：聊天记录、付款截图、卡密未使用的核验结果…</source>
        <translation>Evidence: chat log, payment screenshot, check that the code is unused…</translation>
    </message>
    <message>
        <source>原因</source>
        <translation>Reason</translation>
    </message>
    <message>
        <source>说明</source>
        <translation>Details</translation>
    </message>
    <message>
        <source>证据</source>
        <translation>Evidence</translation>
    </message>
    <message>
        <source>退款金额(元)</source>
        <translation>Refund (yuan)</translation>
    </message>
    <message>
        <source>审核预判</source>
        <translation>Expected decision</translation>
    </message>
    <message>
        <source>订单 {order_no} · {product} · {status} · 实付 {paid}</source>
        <translation>Order {order_no} · {product} · {status} · paid {paid}</translation>
    </message>
    <message>
        <source>留空 = 全部可退金额 {amount}</source>
        <translation>Empty = all refundable, {amount}</translation>
    </message>
    <message>
        <source>无法预览该订单</source>
        <translation>Cannot preview this order</translation>
    </message>
    <message>
        <source>退款金额必须在 {low} 到 {high} 之间</source>
        <translation>The refund must be between {low} and {high}</translation>
    </message>
</context>
<context>
    <name>OperatorsBox</name>
    <message>
        <source>操作员</source>
        <translation>Operators</translation>
    </message>
    <message>
        <source>名字</source>
        <translation>Name</translation>
    </message>
    <message>
        <source>角色</source>
        <translation>Role</translation>
    </message>
    <message>
        <source>审批额度</source>
        <translation>Approval limit</translation>
    </message>
    <message>
        <source>状态</source>
        <translation>State</translation>
    </message>
    <message>
        <source>密码</source>
        <translation>Password</translation>
    </message>
    <message>
        <source>添加操作员…</source>
        <translation>Add operator…</translation>
    </message>
    <message>
        <source>停用</source>
        <translation>Disable</translation>
    </message>
    <message>
        <source>修改密码…</source>
        <translation>Change password…</translation>
    </message>
    <message>
        <source>角色与额度…</source>
        <translation>Role and limit…</translation>
    </message>
    <message>
        <source> 分钟</source>
        <translation> min</translation>
    </message>
    <message>
        <source>无操作多久后重新询问是谁在操作（0 表示不询问）：</source>
        <translation>Ask who is working again after this long without input (0: never):</translation>
    </message>
    <message>
        <source>只有店主一人：打开程序不需要登录，所有操作记为店主。添加第二位操作员后，每个人都要用自己的名字和密码登录。</source>
        <translation>The owner works alone: no sign-in, everything is recorded as the owner. Once a second operator is added, everyone signs in with their own name and password.</translation>
    </message>
    <message>
        <source>有多位操作员：打开程序和空闲之后要登录，每一步操作都记在登录者名下。</source>
        <translation>Several operators: everyone signs in at start and after the idle time; every step is recorded under the signed-in name.</translation>
    </message>
    <message>
        <source>不限</source>
        <translation>none</translation>
    </message>
    <message>
        <source>已停用</source>
        <translation>disabled</translation>
    </message>
    <message>
        <source>锁定到 {time}</source>
        <translation>locked until {time}</translation>
    </message>
    <message>
        <source>在用</source>
        <translation>active</translation>
    </message>
    <message>
        <source>已设</source>
        <translation>set</translation>
    </message>
    <message>
        <source>未设</source>
        <translation>none</translation>
    </message>
    <message>
        <source>启用</source>
        <translation>Enable</translation>
    </message>
    <message>
        <source>先在列表里选一位操作员</source>
        <translation>Select an operator in the list first</translation>
    </message>
    <message>
        <source>已添加操作员 {name}。</source>
        <translation>Added operator {name}.</translation>
    </message>
    <message>
        <source>已启用 {name}。</source>
        <translation>Enabled {name}.</translation>
    </message>
    <message>
        <source>已停用 {name}。</source>
        <translation>Disabled {name}.</translation>
    </message>
    <message>
        <source>已修改 {name} 的密码。</source>
        <translation>Changed the password of {name}.</translation>
    </message>
    <message>
        <source>已修改 {name} 的角色与审批额度。</source>
        <translation>Role and approval limit of {name} changed.</translation>
    </message>
    <message>
        <source>已保存：不再因无操作而要求重新登录。</source>
        <translation>Saved: the desk no longer asks to sign in again after a pause.</translation>
    </message>
    <message numerus="yes">
        <source>已保存：无操作 {n} 分钟后重新登录。</source>
        <translation>
            <numerusform>Saved: sign in again after {n} minute without input.</numerusform>
            <numerusform>Saved: sign in again after {n} minutes without input.</numerusform>
        </translation>
    </message>
</context>
<context>
    <name>OrderDetailPane</name>
    <message>
        <source>取消订单</source>
        <extracomment>Button key, dialog class, shortcut. The right each action needs (services check it again: Desk.require).</extracomment>
        <translation>Cancel order</translation>
    </message>
    <message>
        <source>审核</source>
        <translation>Review</translation>
    </message>
    <message>
        <source>恢复</source>
        <translation>Restore</translation>
    </message>
    <message>
        <source>补单</source>
        <translation>Mark paid</translation>
    </message>
    <message>
        <source>发货</source>
        <translation>Deliver</translation>
    </message>
    <message>
        <source>登记售后</source>
        <translation>Open request</translation>
    </message>
    <message>
        <source>订单信息</source>
        <translation>Order</translation>
    </message>
    <message>
        <source>商品</source>
        <translation>Product</translation>
    </message>
    <message>
        <source>类型</source>
        <translation>Type</translation>
    </message>
    <message>
        <source>买家</source>
        <translation>Buyer</translation>
    </message>
    <message>
        <source>支付方式</source>
        <translation>Paid with</translation>
    </message>
    <message>
        <source>交易号</source>
        <translation>Trade no</translation>
    </message>
    <message>
        <source>下单时间</source>
        <translation>Ordered</translation>
    </message>
    <message>
        <source>支付时间</source>
        <translation>Paid</translation>
    </message>
    <message>
        <source>发货时间</source>
        <translation>Delivered</translation>
    </message>
    <message>
        <source>完成/取消</source>
        <translation>Closed</translation>
    </message>
    <message>
        <source>卡密</source>
        <translation>Card code</translation>
    </message>
    <message>
        <source>卡密使用</source>
        <translation>Code used</translation>
    </message>
    <message>
        <source>完成</source>
        <translation>Complete</translation>
    </message>
    <message>
        <source>登记台外退款…</source>
        <translation>Refunded outside…</translation>
    </message>
    <message>
        <source>同步支付</source>
        <translation>Sync payment</translation>
    </message>
    <message>
        <source>立即向网关查询这笔订单是否已付款（补单）</source>
        <translation>Ask the gateway now whether this order was paid (and mark it paid)</translation>
    </message>
    <message>
        <source>金额明细</source>
        <translation>Amounts</translation>
    </message>
    <message>
        <source>标价</source>
        <translation>List price</translation>
    </message>
    <message>
        <source>优惠券</source>
        <translation>Coupon</translation>
    </message>
    <message>
        <source>积分抵扣</source>
        <translation>Points</translation>
    </message>
    <message>
        <source>实付</source>
        <translation>Paid</translation>
    </message>
    <message>
        <source>已退</source>
        <translation>Refunded</translation>
    </message>
    <message>
        <source>可退</source>
        <translation>Refundable</translation>
    </message>
    <message>
        <source>退款中</source>
        <translation>Refund in progress</translation>
    </message>
    <message>
        <source>时间</source>
        <translation>Time</translation>
    </message>
    <message>
        <source>操作</source>
        <translation>Action</translation>
    </message>
    <message>
        <source>操作员</source>
        <translation>Operator</translation>
    </message>
    <message>
        <source>来源</source>
        <translation>Source</translation>
    </message>
    <message>
        <source>状态变化</source>
        <translation>Status</translation>
    </message>
    <message>
        <source>备注</source>
        <translation>Note</translation>
    </message>
    <message>
        <source>编号</source>
        <translation>No</translation>
    </message>
    <message>
        <source>状态</source>
        <translation>State</translation>
    </message>
    <message>
        <source>原因</source>
        <translation>Reason</translation>
    </message>
    <message>
        <source>金额</source>
        <translation>Amount</translation>
    </message>
    <message>
        <source>申请时间</source>
        <translation>Asked</translation>
    </message>
    <message>
        <source>处理时限</source>
        <translation>Due</translation>
    </message>
    <message>
        <source>说明</source>
        <translation>Why</translation>
    </message>
    <message>
        <source>退款金额</source>
        <translation>Amount</translation>
    </message>
    <message>
        <source>手续费</source>
        <translation>Fee</translation>
    </message>
    <message>
        <source>退款单号</source>
        <translation>Refund no</translation>
    </message>
    <message>
        <source>网关</source>
        <translation>Gateway</translation>
    </message>
    <message>
        <source>尝试</source>
        <translation>Tries</translation>
    </message>
    <message>
        <source>预计到账</source>
        <translation>Expected</translation>
    </message>
    <message>
        <source>最近错误</source>
        <translation>Last error</translation>
    </message>
    <message>
        <source>时间线</source>
        <translation>Timeline</translation>
    </message>
    <message>
        <source>售后申请</source>
        <translation>Requests</translation>
    </message>
    <message>
        <source>退款</source>
        <translation>Refunds</translation>
    </message>
    <message>
        <source>未选择订单</source>
        <translation>No order selected</translation>
    </message>
    <message>
        <source>{product} × {quantity}</source>
        <translation>{product} × {quantity}</translation>
    </message>
    <message>
        <source>{channel}（{gateway}）</source>
        <translation>{channel} ({gateway})</translation>
    </message>
    <message>
        <source>{amount}（{code}）</source>
        <translation>{amount} ({code})</translation>
    </message>
    <message>
        <source>{points} 积分，已退 {back} 积分</source>
        <translation>{points} points, {back} returned</translation>
    </message>
    <message>
        <source>未付（应付 {amount}）</source>
        <translation>Unpaid ({amount} due)</translation>
    </message>
    <message>
        <source>售后申请（{n}）</source>
        <translation>Requests ({n})</translation>
    </message>
    <message>
        <source>退款（{n}）</source>
        <translation>Refunds ({n})</translation>
    </message>
    <message>
        <source>{state}（逾期）</source>
        <translation>{state} (overdue)</translation>
    </message>
    <message>
        <source>订单未支付，没有可退的钱</source>
        <translation>The order is not paid: there is no money to refund</translation>
    </message>
    <message>
        <source>该订单没有可退的金额（已全部退款或退款中）</source>
        <translation>Nothing left to refund (all refunded or being refunded)</translation>
    </message>
    <message>
        <source>{state} &lt;a href=&quot;qr&quot;&gt;显示收款二维码&lt;/a&gt;</source>
        <translation>{state} &lt;a href=&quot;qr&quot;&gt;Show the payment QR code&lt;/a&gt;</translation>
    </message>
    <message>
        <source>同步支付不可用：订单已支付、没有可查询的网关账户，或已超出迟到付款的等待期</source>
        <translation>Payment sync does not apply: the order is paid, has no gateway account that can be asked, or is past the late-payment window</translation>
    </message>
    <message>
        <source>正在向网关查询…</source>
        <translation>Asking the gateway…</translation>
    </message>
    <message>
        <source>{reason}：{note}</source>
        <translation>{reason}: {note}</translation>
    </message>
    <message>
        <source>全部可退</source>
        <translation>All refundable</translation>
    </message>
    <message>
        <source>；</source>
        <translation>; </translation>
    </message>
    <message>
        <source>售后争议</source>
        <translation>Dispute</translation>
    </message>
    <message>
        <source>取消申请</source>
        <translation>Cancel</translation>
    </message>
    <message>
        <source>{before} → {after}</source>
        <translation>{before} → {after}</translation>
    </message>
    <message>
        <source>{earliest} 至 {latest}</source>
        <translation>{earliest} to {latest}</translation>
    </message>
    <message>
        <source>{action}（{shortcut}）</source>
        <translation>{action} ({shortcut})</translation>
    </message>
    <message>
        <source>{head}
不可用：{why}</source>
        <translation>{head}
Not available: {why}</translation>
    </message>
    <message>
        <source>该订单已有待处理的申请，请先审核</source>
        <translation>This order already has an open request; review it first</translation>
    </message>
    <message>
        <source>该订单没有待审核的售后申请</source>
        <translation>This order has no open request to review</translation>
    </message>
</context>
<context>
    <name>OrderSummary</name>
    <message>
        <source>订单</source>
        <translation>Order</translation>
    </message>
    <message>
        <source>订单号</source>
        <translation>Order no</translation>
    </message>
    <message>
        <source>商品</source>
        <translation>Product</translation>
    </message>
    <message>
        <source>{product} × {quantity}</source>
        <translation>{product} × {quantity}</translation>
    </message>
    <message>
        <source>状态</source>
        <translation>Status</translation>
    </message>
    <message>
        <source>应付</source>
        <translation>Due</translation>
    </message>
    <message>
        <source>实付</source>
        <translation>Paid</translation>
    </message>
    <message>
        <source>（已退 {amount}）</source>
        <translation> ({amount} refunded)</translation>
    </message>
    <message>
        <source>（退款中 {amount}）</source>
        <translation> ({amount} refund in progress)</translation>
    </message>
    <message>
        <source>买家</source>
        <translation>Buyer</translation>
    </message>
</context>
<context>
    <name>OrdersModel</name>
    <message>
        <source>订单号</source>
        <extracomment>Header columns the owner can sort by, and the SQL sort each maps to. The roles this model answers; a paint asks for more (font, decoration...), answered at once. (text, chip background) per status: calm for finished, warm for what needs the owner.</extracomment>
        <translation>Order no</translation>
    </message>
    <message>
        <source>下单时间</source>
        <translation>Ordered</translation>
    </message>
    <message>
        <source>商品</source>
        <translation>Product</translation>
    </message>
    <message>
        <source>数量</source>
        <translation>Qty</translation>
    </message>
    <message>
        <source>买家</source>
        <translation>Buyer</translation>
    </message>
    <message>
        <source>实付金额</source>
        <translation>Paid</translation>
    </message>
    <message>
        <source>状态</source>
        <translation>Status</translation>
    </message>
    <message>
        <source>支付方式</source>
        <translation>Paid with</translation>
    </message>
    <message>
        <source>这一列不能排序；可按「下单时间」或「实付金额」排序</source>
        <extracomment>The id list is read this long after a filter&apos;s first page was read (painted): clicking through the tabs reads one list, not one per tab, and the first paint has the CPU to itself. The id list of the current filter is in place (its length): jumps read by primary key. A filter asked for with ``request_filter`` is on screen (its first page read). The row count changed or became exact (``counting`` tells which).</extracomment>
        <translation>This column cannot be sorted; sort by Ordered or Paid</translation>
    </message>
    <message>
        <source>点击按这一列排序（从大到小）</source>
        <translation>Click to sort by this column (largest first)</translation>
    </message>
    <message>
        <source>现在从新到旧 / 从大到小；再点一次反过来</source>
        <translation>Now newest / largest first; click again to reverse</translation>
    </message>
    <message>
        <source>现在从旧到新 / 从小到大；再点一次反过来</source>
        <translation>Now oldest / smallest first; click again to reverse</translation>
    </message>
    <message>
        <source>交易号：{trade_no}</source>
        <translation>Trade no: {trade_no}</translation>
    </message>
    <message>
        <source>未支付；应付 {due}</source>
        <translation>Unpaid; {due} due</translation>
    </message>
    <message>
        <source>实付 {paid}，已退 {refunded}，退款中 {pending}</source>
        <translation>Paid {paid}, refunded {refunded}, in progress {pending}</translation>
    </message>
    <message>
        <source>{status}，扣留待审：买家在黑名单上，放行前不会发货</source>
        <translation>{status}, held for review: the buyer is blocked; not delivered until released</translation>
    </message>
</context>
<context>
    <name>OrdersPage</name>
    <message>
        <source>还没有订单。可以从网店后台导出的 CSV 或 Excel 文件导入。</source>
        <extracomment>(filter status, tab) in tab order; None is 全部. Labels come from i18n.status_label. Tabs shown only while they hold orders (or are the tab in view): a shop without a blocked buyer never sees 扣留待审.</extracomment>
        <translation>No orders yet. Import them from a CSV or Excel file exported from the shop&apos;s back office.</translation>
    </message>
    <message>
        <source>导入订单…</source>
        <translation>Import orders…</translation>
    </message>
    <message>
        <source>搜索：订单号(尾号至少4位) / 手机号 / QQ / 邮箱 / 交易号（Ctrl+F）</source>
        <translation>Search: order no (tail of 4+) / phone / QQ / e-mail / trade no (Ctrl+F)</translation>
    </message>
    <message>
        <source>限定日期</source>
        <translation>Dates</translation>
    </message>
    <message>
        <source>不勾选时不限日期</source>
        <translation>Unchecked: any date</translation>
    </message>
    <message>
        <source>全部类型</source>
        <translation>All types</translation>
    </message>
    <message>
        <source>从 CSV / Excel 文件导入订单（文件 &gt; 导入订单，Ctrl+I）</source>
        <translation>Import orders from a CSV / Excel file (File &gt; Import orders, Ctrl+I)</translation>
    </message>
    <message>
        <source>搜索中…</source>
        <translation>searching…</translation>
    </message>
    <message>
        <source>无匹配（买家至少输入 {buyer} 个字符，订单号尾号至少 {n} 位）</source>
        <translation>No match (a buyer search needs at least {buyer} characters, an order-no tail at least {n})</translation>
    </message>
    <message>
        <source>无匹配（订单号尾号至少 {n} 位）</source>
        <translation>No match (an order-no tail needs at least {n} characters)</translation>
    </message>
    <message>
        <source>无匹配</source>
        <translation>no match</translation>
    </message>
    <message>
        <source>{field} {n} 条</source>
        <translation>{field}: {n}</translation>
    </message>
    <message>
        <source>匹配：{fields}</source>
        <translation>matched: {fields}</translation>
    </message>
    <message>
        <source>、</source>
        <translation>, </translation>
    </message>
    <message numerus="yes">
        <source>共 {n}+ 条，计数中…</source>
        <translation>
            <numerusform>{n}+ orders, counting…</numerusform>
            <numerusform>{n}+ orders, counting…</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>共 {n} 条</source>
        <translation>
            <numerusform>{n} order</numerusform>
            <numerusform>{n} orders</numerusform>
        </translation>
    </message>
    <message>
        <source>全部</source>
        <translation>All</translation>
    </message>
    <message>
        <source>复制订单号</source>
        <translation>Copy order no</translation>
    </message>
    <message>
        <source>复制交易号</source>
        <translation>Copy trade no</translation>
    </message>
    <message>
        <source>查看详情</source>
        <translation>Open detail</translation>
    </message>
</context>
<context>
    <name>Outcomes</name>
    <message>
        <source>订单 {order_no} 已完成</source>
        <translation>Order {order_no} completed</translation>
    </message>
    <message>
        <source>订单 {order_no} 已恢复为「{status}」</source>
        <translation>Order {order_no} restored to &apos;{status}&apos;</translation>
    </message>
    <message>
        <source>已拒绝申请 #{id}，已记入时间线</source>
        <translation>Request #{id} rejected; recorded in the timeline</translation>
    </message>
    <message>
        <source>已批准申请 #{id}：这笔钱没有经过网关，请手工退给买家，再到「退款」页登记结果</source>
        <translation>Request #{id} approved: this money did not go through a gateway. Pay it back to the buyer by hand, then record the outcome on the Refunds page</translation>
    </message>
    <message>
        <source>已批准申请 #{id}，退款已排队，将原路退回</source>
        <translation>Request #{id} approved; the refund is queued and goes back by the original route</translation>
    </message>
    <message>
        <source>已批准申请 #{id}</source>
        <translation>Request #{id} approved</translation>
    </message>
    <message>
        <source>已发货：卡密 {codes} 已分配给 {buyer}。点「卡密」旁的「复制」发给买家</source>
        <translation>Delivered: card code {codes} assigned to {buyer}. Use Copy beside the card code to send it to the buyer</translation>
    </message>
    <message>
        <source>、</source>
        <translation>, </translation>
    </message>
    <message>
        <source>已发货：订单 {order_no} 已记为已发货</source>
        <translation>Delivered: order {order_no} is marked delivered</translation>
    </message>
    <message>
        <source>已登记售后争议（申请 #{id}），等待审核</source>
        <translation>Dispute recorded (request #{id}); waiting for review</translation>
    </message>
    <message>
        <source>订单 {order_no} 已取消，退款已排队，将原路退回</source>
        <translation>Order {order_no} cancelled; the refund is queued and goes back by the original route</translation>
    </message>
    <message>
        <source>已为订单 {order_no} 登记取消申请，等待审核</source>
        <translation>Cancel request recorded for order {order_no}; waiting for review</translation>
    </message>
    <message>
        <source>订单 {order_no} 已取消</source>
        <translation>Order {order_no} cancelled</translation>
    </message>
    <message>
        <source>订单 {order_no} 已用该交易号补过单，没有任何变化</source>
        <translation>Order {order_no} was already marked paid with this trade no; nothing changed</translation>
    </message>
    <message>
        <source>已补单：订单 {order_no} 记为已支付（交易号 {trade_no}）</source>
        <translation>Marked paid: order {order_no} (trade no {trade_no})</translation>
    </message>
    <message>
        <source>，付款时间 {time}</source>
        <translation>, paid at {time}</translation>
    </message>
    <message>
        <source>，买家直接付给本店（{how}），之后的退款手工退</source>
        <translation>, paid to the shop directly ({how}); a later refund is by hand</translation>
    </message>
    <message>
        <source>，未发货（不发货）</source>
        <translation>, not delivered (do not deliver)</translation>
    </message>
    <message>
        <source>，并已自动发货</source>
        <translation>, and delivered</translation>
    </message>
    <message>
        <source>订单 {order_no} 未支付，已直接取消</source>
        <translation>Order {order_no} was unpaid and is cancelled</translation>
    </message>
    <message>
        <source>申请 #{id} 符合规则，已自动批准：这笔钱没有经过网关，请手工退给买家，再到「退款」页登记结果</source>
        <translation>Request #{id} met the rules and was approved automatically: this money did not go through a gateway. Pay it back to the buyer by hand, then record the outcome on the Refunds page</translation>
    </message>
    <message>
        <source>申请 #{id} 符合规则，已自动批准，退款已排队</source>
        <translation>Request #{id} met the rules and was approved automatically; the refund is queued</translation>
    </message>
    <message>
        <source>已登记申请 #{id}，等待审核</source>
        <translation>Request #{id} recorded; waiting for review</translation>
    </message>
    <message>
        <source>已登记台外退款 {amount}（{how}）：订单 {order_no} 记为退款成功</source>
        <translation>Recorded a refund of {amount} made outside the desk ({how}) for order {order_no}</translation>
    </message>
    <message>
        <source>，现为「{status}」</source>
        <translation>; it is now &apos;{status}&apos;</translation>
    </message>
</context>
<context>
    <name>PasswordDialog</name>
    <message>
        <source>修改密码：{name}</source>
        <translation>Change password: {name}</translation>
    </message>
    <message>
        <source>新密码</source>
        <translation>New password</translation>
    </message>
    <message>
        <source>再输入一次</source>
        <translation>Again</translation>
    </message>
    <message>
        <source>密码至少 {n} 个字符</source>
        <translation>A password needs at least {n} characters</translation>
    </message>
    <message>
        <source>两次输入的密码不一致</source>
        <translation>The two passwords differ</translation>
    </message>
</context>
<context>
    <name>PaymentSync</name>
    <message>
        <source>网关金额 {amount}</source>
        <translation>gateway amount {amount}</translation>
    </message>
    <message>
        <source>订单应付 {amount}</source>
        <translation>order due {amount}</translation>
    </message>
    <message>
        <source>交易号 {trade_no}</source>
        <translation>trade no {trade_no}</translation>
    </message>
    <message>
        <source>优惠券 {coupon} 在订单 {order_no}</source>
        <translation>coupon {coupon} is on order {order_no}</translation>
    </message>
    <message>
        <source>{finding}（{facts}）</source>
        <translation>{finding} ({facts})</translation>
    </message>
    <message>
        <source>，</source>
        <translation>, </translation>
    </message>
    <message>
        <source>支付同步：尚未查询网关，稍后自动查询；也可点「同步支付」立即查询</source>
        <translation>Payment sync: not asked yet; the gateway is asked shortly, or click Sync payment to ask now</translation>
    </message>
    <message>
        <source>支付同步：{when} 查询，{answer}</source>
        <translation>Payment sync: asked at {when}, {answer}</translation>
    </message>
    <message>
        <source>；下次约 {when}</source>
        <translation>; next at about {when}</translation>
    </message>
    <message>
        <source>同步支付：{n} 个订单未能查询：{why}</source>
        <translation>Payment sync: {n} order(s) not asked: {why}</translation>
    </message>
    <message>
        <source>同步支付：查询 {checked} 单，补单 {paid}，发货 {delivered}，需核对 {flagged}</source>
        <translation>Payment sync: asked {checked}, marked paid {paid}, delivered {delivered}, to check {flagged}</translation>
    </message>
    <message>
        <source>；已在网关关闭 {n} 笔交易</source>
        <translation>; {n} trade(s) closed at the gateway</translation>
    </message>
    <message>
        <source>；{n} 个网关无法连接，未做任何改动，稍后自动再查</source>
        <translation>; {n} gateway(s) unreachable, nothing changed, asked again later</translation>
    </message>
</context>
<context>
    <name>ProductDialog</name>
    <message>
        <source>编辑商品</source>
        <translation>Edit product</translation>
    </message>
    <message>
        <source>添加商品</source>
        <translation>Add product</translation>
    </message>
    <message>
        <source>保存</source>
        <translation>Save</translation>
    </message>
    <message>
        <source>例如 49.90</source>
        <translation>e.g. 49.90</translation>
    </message>
    <message>
        <source>可不填</source>
        <translation>optional</translation>
    </message>
    <message>
        <source>不提醒</source>
        <translation>No warning</translation>
    </message>
    <message>
        <source>循环卡密：同一个卡密发给每位买家（不扣库存）</source>
        <translation>Reusable code: one code goes to every buyer (stock is not used up)</translation>
    </message>
    <message>
        <source>名称</source>
        <translation>Name</translation>
    </message>
    <message>
        <source>类型</source>
        <translation>Type</translation>
    </message>
    <message>
        <source>价格（元）</source>
        <translation>Price (yuan)</translation>
    </message>
    <message>
        <source>SKU / 面值说明</source>
        <translation>SKU / face value</translation>
    </message>
    <message>
        <source>面值（元）</source>
        <translation>Face value (yuan)</translation>
    </message>
    <message>
        <source>低库存提醒</source>
        <translation>Low-stock warning</translation>
    </message>
    <message>
        <source>退款政策（勾选的项只对本商品生效，其余沿用店铺设置）</source>
        <translation>Refund policy (ticked items apply to this product only; the rest follow the shop&apos;s)</translation>
    </message>
    <message>
        <source>沿用店铺设置</source>
        <translation>Shop&apos;s setting</translation>
    </message>
    <message>
        <source>本商品不支持退款</source>
        <translation>No refunds for this product</translation>
    </message>
    <message>
        <source>本商品支持退款</source>
        <translation>Refunds allowed for this product</translation>
    </message>
    <message>
        <source>请填写商品名称</source>
        <translation>Enter the product name</translation>
    </message>
    <message>
        <source>只有卡密商品可以设为循环卡密</source>
        <translation>Only card-code products can be reusable</translation>
    </message>
</context>
<context>
    <name>ProductsPage</name>
    <message>
        <source>商品</source>
        <translation>Product</translation>
    </message>
    <message>
        <source>类型</source>
        <translation>Type</translation>
    </message>
    <message>
        <source>价格</source>
        <translation>Price</translation>
    </message>
    <message>
        <source>SKU / 面值</source>
        <translation>SKU / face value</translation>
    </message>
    <message>
        <source>库存（可售）</source>
        <translation>Stock</translation>
    </message>
    <message>
        <source>缺货待发</source>
        <translation>Waiting</translation>
    </message>
    <message>
        <source>低库存提醒</source>
        <translation>Warn at</translation>
    </message>
    <message>
        <source>单独的退款政策</source>
        <translation>Own policy</translation>
    </message>
    <message>
        <source>锁定 · 已发出 · 作废</source>
        <translation>Locked/sold/void</translation>
    </message>
    <message>
        <source>添加商品…</source>
        <translation>Add product…</translation>
    </message>
    <message>
        <source>编辑…</source>
        <translation>Edit…</translation>
    </message>
    <message>
        <source>卡密商品的库存就是可售卡密数，在「卡密」页导入；库存降到提醒数时提醒一次，补货后才会再次提醒。</source>
        <translation>A card-code product&apos;s stock is its available codes, imported on the Card codes page; the warning comes once when stock falls to its threshold, and again only after a restock.</translation>
    </message>
    <message>
        <source>库存不足：{names}</source>
        <translation>Low stock: {names}</translation>
    </message>
    <message>
        <source>、</source>
        <translation>, </translation>
    </message>
    <message>
        <source>（循环）</source>
        <translation> (reusable)</translation>
    </message>
    <message>
        <source>不提醒</source>
        <translation>Off</translation>
    </message>
    <message>
        <source>库存不足</source>
        <translation>Low stock</translation>
    </message>
    <message>
        <source>已付款、等待卡密的订单</source>
        <translation>Paid orders waiting for codes</translation>
    </message>
    <message>
        <source>不支持退款</source>
        <translation>No refunds</translation>
    </message>
    <message>
        <source>{n} 项</source>
        <translation>Own: {n}</translation>
    </message>
    <message>
        <source>沿用店铺设置</source>
        <translation>Shop&apos;s</translation>
    </message>
</context>
<context>
    <name>ReconcileDialog</name>
    <message>
        <source>对账</source>
        <extracomment>Account kinds whose gateway gives a day&apos;s record.</extracomment>
        <translation>Reconciliation</translation>
    </message>
    <message>
        <source>读取网关记录并对账</source>
        <translation>Read the gateway&apos;s record and compare</translation>
    </message>
    <message>
        <source>网关账户</source>
        <translation>Gateway account</translation>
    </message>
    <message>
        <source>日期（北京时间）</source>
        <translation>Date (Beijing time)</translation>
    </message>
    <message>
        <source>选择网关账户和已经结束的一天，读取网关的账单（易支付为订单列表）并与本店比对。</source>
        <translation>Choose a gateway account and a day that is over; the gateway&apos;s bill (易支付: its order list) is read and compared with the desk.</translation>
    </message>
    <message>
        <source>差异</source>
        <translation>Difference</translation>
    </message>
    <message>
        <source>商户订单号</source>
        <translation>out_trade_no</translation>
    </message>
    <message>
        <source>本店订单</source>
        <translation>Desk order</translation>
    </message>
    <message>
        <source>交易号</source>
        <translation>Trade no</translation>
    </message>
    <message>
        <source>网关金额</source>
        <translation>Gateway amount</translation>
    </message>
    <message>
        <source>本店金额</source>
        <translation>Desk amount</translation>
    </message>
    <message>
        <source>处理</source>
        <translation>Handled</translation>
    </message>
    <message>
        <source>说明（标记为已说明时必填），例如：网站测试单</source>
        <translation>Explanation (needed to mark explained), e.g. a test order on the website</translation>
    </message>
    <message>
        <source>修正（补单）</source>
        <translation>Fix (mark paid)</translation>
    </message>
    <message>
        <source>标记为已说明</source>
        <translation>Mark explained</translation>
    </message>
    <message>
        <source>导出…</source>
        <translation>Export…</translation>
    </message>
    <message>
        <source>{gateway} {day}：网关记录 {records} 笔，一致 {matched} 笔，差异 {n} 项（待处理 {open}）</source>
        <translation>{gateway} {day}: {records} record(s) at the gateway, {matched} matched, {n} difference(s) ({open} open)</translation>
    </message>
    <message>
        <source>待处理</source>
        <translation>Open</translation>
    </message>
    <message>
        <source>已修正</source>
        <translation>Fixed</translation>
    </message>
    <message>
        <source>已说明</source>
        <translation>Explained</translation>
    </message>
    <message>
        <source>：{note}</source>
        <translation>: {note}</translation>
    </message>
    <message>
        <source>正在读取网关的记录…</source>
        <translation>Reading the gateway&apos;s record…</translation>
    </message>
    <message>
        <source>无法对账：{why}</source>
        <translation>Cannot reconcile: {why}</translation>
    </message>
    <message>
        <source>确认修正</source>
        <translation>Confirm fix</translation>
    </message>
    <message>
        <source>将为订单 {order_no} 补单：交易号 {trade_no}，金额 {amount}；有卡密库存时自动发货。再点「确认修正」执行。</source>
        <translation>Order {order_no} will be marked paid: trade no {trade_no}, amount {amount}; delivered at once when a card code is in stock. Click Confirm fix to do it.</translation>
    </message>
    <message>
        <source>已标记为已说明，并记入订单时间线</source>
        <translation>Marked explained and written to the order&apos;s timeline</translation>
    </message>
    <message>
        <source>导出对账结果</source>
        <translation>Export the reconciliation</translation>
    </message>
    <message>
        <source>Excel 工作簿 (*.xlsx);;CSV (*.csv)</source>
        <translation>Excel workbook (*.xlsx);;CSV (*.csv)</translation>
    </message>
    <message>
        <source>已导出到 {path}</source>
        <translation>Exported to {path}</translation>
    </message>
</context>
<context>
    <name>RecordOutsideDialog</name>
    <message>
        <source>登记台外退款 {order_no}</source>
        <translation>Record a refund made outside the desk: {order_no}</translation>
    </message>
    <message>
        <source>登记退款</source>
        <translation>Record refund</translation>
    </message>
    <message>
        <source>何时、怎样退给了买家，例如：11月18日微信转账退回（必填）</source>
        <translation>When and how the buyer was paid back (required)</translation>
    </message>
    <message>
        <source>可退</source>
        <translation>Refundable</translation>
    </message>
    <message>
        <source>退款金额(元)</source>
        <translation>Refund (yuan)</translation>
    </message>
    <message>
        <source>方式</source>
        <translation>Paid back by</translation>
    </message>
    <message>
        <source>原因</source>
        <translation>Reason</translation>
    </message>
    <message>
        <source>说明</source>
        <translation>Details</translation>
    </message>
    <message>
        <source>登记后会发生什么</source>
        <translation>What recording it does</translation>
    </message>
    <message>
        <source>这笔退款立即记为「{state}」，不会经网关发送：钱已在台外退给买家。</source>
        <translation>The refund is recorded as &apos;{state}&apos; at once and never sent through the gateway: the buyer already has the money back.</translation>
    </message>
    <message>
        <source>订单将变为「{partial}」或「{refunded}」；未发货的订单退回全部款项时变为「{cancelled}」。</source>
        <translation>The order becomes &apos;{partial}&apos; or &apos;{refunded}&apos;; an undelivered order given all its money back becomes &apos;{cancelled}&apos;.</translation>
    </message>
    <message>
        <source>订单未发货且款项全部退回：订单将变为「{status}」，库存、优惠券退回。</source>
        <translation>Not delivered and all the money back: the order becomes &apos;{status}&apos;; its stock and coupon go back.</translation>
    </message>
    <message>
        <source>订单状态不变（「{status}」），已退金额增加 {amount}。</source>
        <translation>The order stays &apos;{status}&apos;; {amount} more is counted as refunded.</translation>
    </message>
    <message>
        <source>订单将变为「{status}」。</source>
        <translation>The order becomes &apos;{status}&apos;.</translation>
    </message>
    <message>
        <source>订单未支付，没有可退的钱</source>
        <translation>The order is not paid: there is no money to refund</translation>
    </message>
    <message>
        <source>该订单没有可退的金额（已全部退款或退款中）</source>
        <translation>Nothing left to refund (all refunded or being refunded)</translation>
    </message>
    <message>
        <source>请填写退款金额</source>
        <translation>Enter the refund amount</translation>
    </message>
    <message>
        <source>退款金额不能超过可退金额 {amount}</source>
        <translation>The refund cannot be more than the refundable {amount}</translation>
    </message>
    <message>
        <source>请写明何时、怎样退给了买家</source>
        <translation>Say when and how the buyer got the money back</translation>
    </message>
</context>
<context>
    <name>RefundActionDialog</name>
    <message>
        <source>重新发送退款</source>
        <translation>Re-send refund</translation>
    </message>
    <message>
        <source>确认发送退款</source>
        <translation>Confirm refund</translation>
    </message>
    <message>
        <source>人工处理退款</source>
        <translation>Resolve refund by hand</translation>
    </message>
    <message>
        <source>网关后台显示已退款（记为成功）</source>
        <translation>The gateway shows it refunded (record as succeeded)</translation>
    </message>
    <message>
        <source>网关后台没有这笔退款（记为失败，可重新发送）</source>
        <translation>The gateway has no such refund (record as failed; can be re-sent)</translation>
    </message>
    <message>
        <source>已用现金退给买家（记为成功）</source>
        <translation>Refunded to the buyer in cash (record as refunded)</translation>
    </message>
    <message>
        <source>已通过银行转账退给买家（记为成功）</source>
        <translation>Refunded to the buyer by bank transfer (record as refunded)</translation>
    </message>
    <message>
        <source>已用其他方式退给买家（记为成功，在说明里写明）</source>
        <translation>Refunded to the buyer another way (record as refunded; say how in the note)</translation>
    </message>
    <message>
        <source>核实情况或退款方式（必填），例如：后台查到退款单号 2026…，或 微信转账给买家</source>
        <translation>What you checked or how you paid (required), e.g. back office shows refund no 2026…, or paid by WeChat transfer</translation>
    </message>
    <message>
        <source>退款单号</source>
        <translation>Refund no</translation>
    </message>
    <message>
        <source>订单号</source>
        <translation>Order no</translation>
    </message>
    <message>
        <source>金额</source>
        <translation>Amount</translation>
    </message>
    <message>
        <source>状态</source>
        <translation>Status</translation>
    </message>
    <message>
        <source>最近错误</source>
        <translation>Last error</translation>
    </message>
    <message>
        <source>核实结果</source>
        <translation>Finding</translation>
    </message>
    <message>
        <source>说明</source>
        <translation>Note</translation>
    </message>
    <message>
        <source>请写明核实情况</source>
        <translation>Write down what you found</translation>
    </message>
</context>
<context>
    <name>RefundsModel</name>
    <message>
        <source>订单号</source>
        <translation>Order no</translation>
    </message>
    <message>
        <source>实退金额</source>
        <translation>Net refund</translation>
    </message>
    <message>
        <source>手续费</source>
        <translation>Fee</translation>
    </message>
    <message>
        <source>退款单号</source>
        <translation>Refund no</translation>
    </message>
    <message>
        <source>网关</source>
        <translation>Gateway</translation>
    </message>
    <message>
        <source>状态</source>
        <translation>Status</translation>
    </message>
    <message>
        <source>尝试次数</source>
        <translation>Tries</translation>
    </message>
    <message>
        <source>发送人</source>
        <translation>Sent by</translation>
    </message>
    <message>
        <source>最近错误</source>
        <translation>Last error</translation>
    </message>
    <message>
        <source>批准这笔退款的操作员（规则自动通过时为系统）</source>
        <translation>The operator who approved this refund (the system, for an automatic approval by the rules)</translation>
    </message>
    <message>
        <source>自动</source>
        <translation>Auto</translation>
    </message>
    <message>
        <source>批准人</source>
        <translation>Approver</translation>
    </message>
    <message>
        <source>预计到账</source>
        <translation>Expected</translation>
    </message>
    <message>
        <source>无网关（手工退款）</source>
        <translation>No gateway (refund by hand)</translation>
    </message>
    <message>
        <source>最近一次由 {name} 手动发送（立即发送或命令行）</source>
        <translation>Last sent by hand by {name} (Send now or the command line)</translation>
    </message>
    <message>
        <source>最近一次由退款队列自动发送（当时登录的是 {name}）</source>
        <translation>Last sent by the refund queue by itself ({name} was signed in)</translation>
    </message>
    <message>
        <source>最近一次由退款队列自动发送（当时无人登录）</source>
        <translation>Last sent by the refund queue by itself (nobody was signed in)</translation>
    </message>
    <message>
        <source>{state}（待确认）</source>
        <translation>{state} (to confirm)</translation>
    </message>
    <message>
        <source>⚠ 安全警告 · {state}</source>
        <translation>⚠ Security warning · {state}</translation>
    </message>
</context>
<context>
    <name>RefundsPage</name>
    <message>
        <source>立即发送</source>
        <translation>Send now</translation>
    </message>
    <message>
        <source>重新发送</source>
        <translation>Re-send</translation>
    </message>
    <message>
        <source>查询结果</source>
        <translation>Query outcome</translation>
    </message>
    <message>
        <source>确认发送…</source>
        <translation>Confirm…</translation>
    </message>
    <message>
        <source>人工处理…</source>
        <translation>Resolve by hand…</translation>
    </message>
    <message>
        <source>正在发送退款，可以继续其他操作…</source>
        <translation>Sending refunds; you can keep working…</translation>
    </message>
    <message>
        <source>发送失败：{error}</source>
        <translation>Sending failed: {error}</translation>
    </message>
    <message>
        <source>本次处理 {picked} 笔：成功 {ok}，处理中 {processing}，失败 {failed}，结果未知 {unknown}，重新排队 {requeued}</source>
        <translation>{picked} handled: {ok} succeeded, {processing} processing, {failed} failed, {unknown} unknown, {requeued} requeued</translation>
    </message>
    <message>
        <source>；{count} 笔已由别处办结（另一处发送或店主先处理了）</source>
        <translation>; {count} settled elsewhere meanwhile (sent from another place, or settled by the owner first)</translation>
    </message>
    <message>
        <source>；{count} 笔未发送：{why}</source>
        <translation>; {count} not sent: {why}</translation>
    </message>
    <message>
        <source>这次发送有 {failed} 笔失败、{unknown} 笔结果未知，原因见「失败」和「结果未知」</source>
        <translation>This send: {failed} failed and {unknown} with an unknown outcome; see the Failed and Unknown tabs for why</translation>
    </message>
    <message>
        <source>、</source>
        <translation>, </translation>
    </message>
    <message>
        <source>⚠ 网关暂时无法连接：{gateways}。批准和退款仍会照常记录并排队，恢复连接后再点“立即发送”即可，不会丢失也不会重复。</source>
        <translation>⚠ Gateways unreachable for now: {gateways}. Approvals and refunds are still recorded and queued; when the connection is back, press &quot;Send now&quot;. Nothing is lost or sent twice.</translation>
    </message>
    <message>
        <source>已重新排队：{refund_no}</source>
        <translation>Requeued: {refund_no}</translation>
    </message>
</context>
<context>
    <name>ReleaseDialog</name>
    <message>
        <source>放行订单</source>
        <translation>Release orders</translation>
    </message>
    <message>
        <source>可选：为什么放行（写入时间线）</source>
        <translation>Optional: why (written to the timeline)</translation>
    </message>
    <message>
        <source>备注</source>
        <translation>Note</translation>
    </message>
    <message>
        <source>放行此订单</source>
        <translation>Release this order</translation>
    </message>
    <message>
        <source>订单 {order_no} 不再扣留，可以发货或补单后自动发货</source>
        <translation>Order {order_no} is no longer held: it can be delivered, or is delivered when marked paid</translation>
    </message>
    <message>
        <source>全部放行</source>
        <translation>Release all</translation>
    </message>
    <message numerus="yes">
        <source>该买家扣留的 {n} 个订单全部放行，可以发货</source>
        <translation>
            <numerusform>The {n} held order of this buyer is released and can be delivered</numerusform>
            <numerusform>All {n} held orders of this buyer are released and can be delivered</numerusform>
        </translation>
    </message>
    <message>
        <source>放行不会发货；发货仍需你确认</source>
        <translation>Releasing delivers nothing; you still confirm each delivery</translation>
    </message>
    <message>
        <source>买家仍在黑名单上：以后导入的订单还会扣留</source>
        <translation>The buyer is still blocked: orders imported later are held again</translation>
    </message>
    <message>
        <source>该买家没有扣留的订单</source>
        <translation>This buyer has no held orders</translation>
    </message>
</context>
<context>
    <name>ReportChart</name>
    <message>
        <source>取消次数（按原因）</source>
        <extracomment>The most bars a split or reason chart draws (the table lists every one).</extracomment>
        <translation>Cancellations by reason</translation>
    </message>
    <message>
        <source>已退金额（元）</source>
        <translation>Refunded (yuan)</translation>
    </message>
    <message>
        <source>实收金额（元）</source>
        <translation>Received (yuan)</translation>
    </message>
</context>
<context>
    <name>ReportsPage</name>
    <message>
        <source>销售</source>
        <extracomment>Below this many pixels of page width per column of the table, the table goes under the chart.</extracomment>
        <translation>Sales</translation>
    </message>
    <message>
        <source>退款</source>
        <translation>Refunds</translation>
    </message>
    <message>
        <source>取消原因</source>
        <translation>Cancel reasons</translation>
    </message>
    <message>
        <source>按日</source>
        <translation>Per day</translation>
    </message>
    <message>
        <source>按周</source>
        <translation>Per week</translation>
    </message>
    <message>
        <source>按月</source>
        <translation>Per month</translation>
    </message>
    <message>
        <source>合计</source>
        <translation>Total</translation>
    </message>
    <message>
        <source>按商品</source>
        <translation>Per product</translation>
    </message>
    <message>
        <source>按支付方式</source>
        <translation>Per channel</translation>
    </message>
    <message>
        <source>按网关</source>
        <translation>Per gateway</translation>
    </message>
    <message>
        <source>近 7 天</source>
        <translation>Last 7 days</translation>
    </message>
    <message>
        <source>近 30 天</source>
        <translation>Last 30 days</translation>
    </message>
    <message>
        <source>近 90 天</source>
        <translation>Last 90 days</translation>
    </message>
    <message>
        <source>本月</source>
        <translation>This month</translation>
    </message>
    <message>
        <source>今年</source>
        <translation>This year</translation>
    </message>
    <message>
        <source>自定义</source>
        <translation>Custom</translation>
    </message>
    <message>
        <source>报表：</source>
        <translation>Report:</translation>
    </message>
    <message>
        <source>正在批量导入订单：导入完成前，这些数字不含正在导入的订单。</source>
        <translation>A bulk import of orders is running: until it ends, these numbers leave out the orders being imported.</translation>
    </message>
    <message>
        <source>；</source>
        <translation>; </translation>
    </message>
    <message numerus="yes">
        <source>已退 {refunded}（{count} 个订单），退款率 {rate}</source>
        <translation>
            <numerusform>Refunded {refunded} ({count} order), refund rate {rate}</numerusform>
            <numerusform>Refunded {refunded} ({count} orders), refund rate {rate}</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>人工答复 {answered} 个申请，平均用时 {time}</source>
        <translation>
            <numerusform>{answered} request answered by hand in {time} on average</numerusform>
            <numerusform>{answered} requests answered by hand in {time} on average</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>自动通过 {auto} 个</source>
        <translation>
            <numerusform>{auto} approved automatically</numerusform>
            <numerusform>{auto} approved automatically</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>实收 {paid}，{orders} 个订单</source>
        <translation>
            <numerusform>Received {paid} from {orders} order</numerusform>
            <numerusform>Received {paid} from {orders} orders</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>取消 {n} 次</source>
        <translation>
            <numerusform>{n} cancellation</numerusform>
            <numerusform>{n} cancellations</numerusform>
        </translation>
    </message>
    <message>
        <source>{h} 小时 {m} 分</source>
        <translation>{h} h {m} min</translation>
    </message>
    <message>
        <source>{m} 分 {s} 秒</source>
        <translation>{m} min {s} s</translation>
    </message>
    <message>
        <source>订单数</source>
        <translation>Orders</translation>
    </message>
    <message>
        <source>实收金额</source>
        <translation>Received</translation>
    </message>
    <message>
        <source>退款订单</source>
        <translation>Refunded
orders</translation>
    </message>
    <message>
        <source>已退金额</source>
        <translation>Refunded</translation>
    </message>
    <message>
        <source>退款率</source>
        <translation>Refund
rate</translation>
    </message>
    <message>
        <source>人工答复</source>
        <translation>Answered
by hand</translation>
    </message>
    <message>
        <source>平均答复用时</source>
        <translation>Average time
to answer</translation>
    </message>
    <message>
        <source>自动通过</source>
        <translation>Auto-
approved</translation>
    </message>
    <message>
        <source>取消数</source>
        <translation>Cancellations</translation>
    </message>
    <message>
        <source>{period}（部分）</source>
        <translation>{period} (part)</translation>
    </message>
    <message>
        <source>期间</source>
        <translation>Period</translation>
    </message>
    <message>
        <source>商品</source>
        <translation>Product</translation>
    </message>
    <message>
        <source>支付方式</source>
        <translation>Channel</translation>
    </message>
    <message>
        <source>网关</source>
        <translation>Gateway</translation>
    </message>
    <message>
        <source>全部</source>
        <translation>All</translation>
    </message>
</context>
<context>
    <name>RequestsModel</name>
    <message>
        <source>编号</source>
        <translation>No</translation>
    </message>
    <message>
        <source>订单号</source>
        <translation>Order no</translation>
    </message>
    <message>
        <source>买家</source>
        <translation>Buyer</translation>
    </message>
    <message>
        <source>金额</source>
        <translation>Amount</translation>
    </message>
    <message>
        <source>原因</source>
        <translation>Reason</translation>
    </message>
    <message>
        <source>申请时间</source>
        <translation>Asked</translation>
    </message>
    <message>
        <source>处理时限</source>
        <translation>Due</translation>
    </message>
    <message>
        <source>状态</source>
        <translation>State</translation>
    </message>
    <message>
        <source>标记</source>
        <translation>Flags</translation>
    </message>
    <message>
        <source>全额 {amount}</source>
        <translation>Full {amount}</translation>
    </message>
    <message>
        <source>{reason}：{note}</source>
        <translation>{reason}: {note}</translation>
    </message>
    <message>
        <source>逾期</source>
        <translation>Overdue</translation>
    </message>
    <message>
        <source>争议</source>
        <translation>Dispute</translation>
    </message>
    <message>
        <source>风险买家</source>
        <translation>Risky buyer</translation>
    </message>
    <message>
        <source>有证据</source>
        <translation>Evidence</translation>
    </message>
</context>
<context>
    <name>RequestsPage</name>
    <message>
        <source>批量批准</source>
        <translation>Approve selected</translation>
    </message>
    <message>
        <source>批量拒绝的原因（必填，买家可见）</source>
        <translation>Reason to reject (required, the buyer sees it)</translation>
    </message>
    <message>
        <source>批量拒绝</source>
        <translation>Reject selected</translation>
    </message>
    <message>
        <source>审核…</source>
        <translation>Review…</translation>
    </message>
    <message>
        <source>待处理 {count}（逾期 {overdue}）</source>
        <translation>Open {count} ({overdue} overdue)</translation>
    </message>
    <message>
        <source>自动通过 {count}</source>
        <translation>Auto-approved {count}</translation>
    </message>
    <message>
        <source>已批准 {count}</source>
        <translation>Approved {count}</translation>
    </message>
    <message>
        <source>已拒绝 {count}</source>
        <translation>Rejected {count}</translation>
    </message>
    <message>
        <source>已选 {count} 条</source>
        <translation>{count} selected</translation>
    </message>
    <message>
        <source>正在批量批准…</source>
        <translation>Approving…</translation>
    </message>
    <message>
        <source>正在批量拒绝…</source>
        <translation>Rejecting…</translation>
    </message>
    <message>
        <source>停止</source>
        <translation>Stop</translation>
    </message>
    <message>
        <source>完成 {done} 条，跳过 {skipped} 条</source>
        <translation>{done} done, {skipped} skipped</translation>
    </message>
    <message>
        <source>已停止：还有 {left} 条未处理</source>
        <translation>Stopped: {left} not handled</translation>
    </message>
    <message>
        <source>出错：{error}</source>
        <translation>Error: {error}</translation>
    </message>
    <message>
        <source>#{ref}：{reason}</source>
        <translation>#{ref}: {reason}</translation>
    </message>
    <message>
        <source>……另有 {more} 条</source>
        <translation>… and {more} more</translation>
    </message>
</context>
<context>
    <name>RestoreBackupDialog</name>
    <message>
        <source>恢复备份</source>
        <translation>Restore backup</translation>
    </message>
    <message>
        <source>选择要恢复的备份。恢复前会完整检查备份；当前数据文件会移到“{folder}”文件夹保留，不会删除。备份之后新增或改动的订单不在备份里。</source>
        <translation>Choose the backup to restore. It is checked through and through first; the current data file is moved to the folder “{folder}” and kept, never deleted. Orders added or changed after the backup are not in it.</translation>
    </message>
    <message>
        <source>备份文件夹 {folder} 里还没有备份。</source>
        <translation>There is no backup in the folder {folder} yet.</translation>
    </message>
    <message>
        <source>我已核对这些变动，仍要恢复这个备份</source>
        <translation>I have checked these changes and still want to restore this backup</translation>
    </message>
    <message>
        <source>恢复所选备份</source>
        <translation>Restore selected backup</translation>
    </message>
    <message>
        <source>取消</source>
        <translation>Cancel</translation>
    </message>
    <message>
        <source>每日自动</source>
        <translation>Daily (automatic)</translation>
    </message>
    <message>
        <source>手动</source>
        <translation>Manual</translation>
    </message>
    <message>
        <source>升级前</source>
        <translation>Before an upgrade</translation>
    </message>
    <message>
        <source>备份时间</source>
        <translation>Taken</translation>
    </message>
    <message>
        <source>大小</source>
        <translation>Size</translation>
    </message>
    <message>
        <source>类型</source>
        <translation>Kind</translation>
    </message>
    <message>
        <source>文件</source>
        <translation>File</translation>
    </message>
</context>
<context>
    <name>RestoreDialog</name>
    <message>
        <source>恢复订单 {order_no}</source>
        <translation>Restore order {order_no}</translation>
    </message>
    <message>
        <source>恢复订单</source>
        <translation>Restore order</translation>
    </message>
    <message>
        <source>暂不恢复</source>
        <translation>Keep cancelled</translation>
    </message>
    <message>
        <source>可选：为什么恢复（写入订单时间线）</source>
        <translation>Optional: why restore (goes into the timeline)</translation>
    </message>
    <message>
        <source>不能恢复。只有没发过货、退款还没发出的已取消订单才能恢复。</source>
        <translation>Cannot restore. Only a cancelled order that was never delivered and whose refund has not been sent can be restored.</translation>
    </message>
    <message>
        <source>订单恢复为「{status}」</source>
        <translation>The order returns to &quot;{status}&quot;</translation>
    </message>
    <message>
        <source>重新开始计算支付时限，买家可以继续付款</source>
        <translation>The payment time limit starts again; the buyer can still pay</translation>
    </message>
    <message>
        <source>重新占用库存 {quantity} 件（现有 {stock} 件）</source>
        <translation>{quantity} reserved from stock again ({stock} in stock)</translation>
    </message>
    <message>
        <source>重新使用优惠券 {code}</source>
        <translation>Coupon {code} applied again</translation>
    </message>
    <message>
        <source>撤回排队中的退款 {refund_no}（{amount}），不会发给网关</source>
        <translation>Queued refund {refund_no} ({amount}) withdrawn; it is not sent to the gateway</translation>
    </message>
    <message>
        <source>取消时退给买家的 {points} 积分重新用于此订单（从买家处扣回）</source>
        <translation>The {points} points given back to the buyer at the cancel are spent on this order again (taken back from the buyer)</translation>
    </message>
    <message>
        <source>撤回的退款本应退还的 {points} 积分不再退给买家（从买家处扣回）</source>
        <translation>The {points} points the withdrawn refund would have given back are not given back (taken back from the buyer)</translation>
    </message>
    <message>
        <source>订单使用的 {points} 积分不变（没有退给买家，也不会扣回）</source>
        <translation>The {points} points the order was paid with stay as they are (not given back, nothing taken back)</translation>
    </message>
    <message>
        <source>恢复后会发生什么</source>
        <translation>What restoring does</translation>
    </message>
    <message>
        <source>备注</source>
        <translation>Note</translation>
    </message>
</context>
<context>
    <name>ReviewDialog</name>
    <message>
        <source>审核售后申请 #{id}</source>
        <translation>Review after-sales request #{id}</translation>
    </message>
    <message>
        <source>批准退款</source>
        <translation>Approve refund</translation>
    </message>
    <message>
        <source>关闭</source>
        <translation>Close</translation>
    </message>
    <message>
        <source>拒绝原因（必填，买家可见）</source>
        <translation>Reason to reject (required, the buyer sees it)</translation>
    </message>
    <message>
        <source>拒绝申请</source>
        <translation>Reject request</translation>
    </message>
    <message>
        <source>未使用（已核验）</source>
        <translation>Unused (checked)</translation>
    </message>
    <message>
        <source>已使用</source>
        <translation>Used</translation>
    </message>
    <message>
        <source>无法确认</source>
        <translation>Cannot tell</translation>
    </message>
    <message>
        <source>如何核实的，例如：卡密前6位查询未激活</source>
        <translation>How you checked, e.g. first 6 digits show it not activated</translation>
    </message>
    <message>
        <source>记录</source>
        <translation>Record</translation>
    </message>
    <message>
        <source>先作废卡密，再退款（卡密不会再被使用或售出）</source>
        <translation>Void the code first, then refund (it can never be used or sold again)</translation>
    </message>
    <message>
        <source>申请</source>
        <translation>Request</translation>
    </message>
    <message>
        <source>售后争议（已发货）</source>
        <translation>Dispute (delivered)</translation>
    </message>
    <message>
        <source>取消申请（未发货）</source>
        <translation>Cancel request (not delivered)</translation>
    </message>
    <message>
        <source>{due}（已逾期）</source>
        <translation>{due} (overdue)</translation>
    </message>
    <message>
        <source>全额</source>
        <translation>Full amount</translation>
    </message>
    <message>
        <source>申请 #{id}</source>
        <translation>Request #{id}</translation>
    </message>
    <message>
        <source>订单</source>
        <translation>Order</translation>
    </message>
    <message>
        <source>商品</source>
        <translation>Product</translation>
    </message>
    <message>
        <source>类型</source>
        <translation>Type</translation>
    </message>
    <message>
        <source>状态</source>
        <translation>State</translation>
    </message>
    <message>
        <source>原因</source>
        <translation>Reason</translation>
    </message>
    <message>
        <source>说明</source>
        <translation>Details</translation>
    </message>
    <message>
        <source>证据</source>
        <translation>Evidence</translation>
    </message>
    <message>
        <source>（未提供）</source>
        <translation>(none given)</translation>
    </message>
    <message>
        <source>申请金额</source>
        <translation>Asked for</translation>
    </message>
    <message>
        <source>实付</source>
        <translation>Paid</translation>
    </message>
    <message>
        <source>申请时间</source>
        <translation>Asked at</translation>
    </message>
    <message>
        <source>处理时限</source>
        <translation>Due</translation>
    </message>
    <message>
        <source>买家</source>
        <translation>Buyer</translation>
    </message>
    <message>
        <source>近期取消</source>
        <translation>Recent cancels</translation>
    </message>
    <message>
        <source>近 {days} 天取消 {count} 次</source>
        <translation>{count} in the last {days} days</translation>
    </message>
    <message>
        <source>⚠ 风险买家（频繁取消）</source>
        <translation>⚠ Risky buyer (cancels often)</translation>
    </message>
    <message>
        <source>正常</source>
        <translation>Normal</translation>
    </message>
    <message>
        <source>⚠ 已拉黑：{reason}</source>
        <translation>⚠ Blocked: {reason}</translation>
    </message>
    <message>
        <source>风险</source>
        <translation>Risk</translation>
    </message>
    <message>
        <source>备注</source>
        <translation>Note</translation>
    </message>
    <message>
        <source>卡密使用情况（售后争议证据）</source>
        <translation>Card code use (dispute evidence)</translation>
    </message>
    <message>
        <source>发货时间</source>
        <translation>Delivered</translation>
    </message>
    <message>
        <source>卡密</source>
        <translation>Card code</translation>
    </message>
    <message>
        <source>核实结果</source>
        <translation>Finding</translation>
    </message>
    <message>
        <source>核实说明</source>
        <translation>How checked</translation>
    </message>
    <message>
        <source>规则判断</source>
        <translation>Rule check</translation>
    </message>
    <message>
        <source>批准</source>
        <translation>Approve</translation>
    </message>
    <message>
        <source>退款金额(元)</source>
        <translation>Refund (yuan)</translation>
    </message>
    <message>
        <source>拒绝</source>
        <translation>Reject</translation>
    </message>
    <message>
        <source>可退范围：{low} – {high}</source>
        <translation>Refundable: {low} – {high}</translation>
    </message>
    <message>
        <source>只退一部分：订单不取消，之后照常发货。要取消订单，请批准全部可退金额 {all}</source>
        <translation>A part refund: the order is not cancelled and will be delivered as usual. To cancel the order, approve all that is refundable, {all}</translation>
    </message>
    <message>
        <source>确认退款 {amount}，多于买家申请的 {asked}</source>
        <translation>Refund {amount}, more than the {asked} the buyer asked for</translation>
    </message>
    <message>
        <source>无法读取该申请</source>
        <translation>Cannot read this request</translation>
    </message>
    <message>
        <source>该申请已处理：{state}</source>
        <translation>This request is already handled: {state}</translation>
    </message>
    <message>
        <source>退款金额必须在 {low} 到 {high} 之间</source>
        <translation>The refund must be between {low} and {high}</translation>
    </message>
    <message>
        <source>退款金额多于买家申请的 {asked}：请勾选确认</source>
        <translation>The refund is more than the {asked} the buyer asked for: tick to confirm</translation>
    </message>
    <message>
        <source>已记录卡密使用情况</source>
        <translation>Card code use recorded</translation>
    </message>
</context>
<context>
    <name>SalePayView</name>
    <message>
        <source>复制二维码图片</source>
        <translation>Copy QR image</translation>
    </message>
    <message>
        <source>复制后粘贴到与买家的 QQ / 微信聊天里，买家长按识别付款</source>
        <translation>Paste it into your QQ / WeChat chat with the buyer; they press and hold it to pay</translation>
    </message>
    <message>
        <source>复制付款链接</source>
        <translation>Copy pay link</translation>
    </message>
    <message>
        <source>卡密</source>
        <translation>Codes</translation>
    </message>
    <message>
        <source>订单号 {order_no} · {product} × {quantity}</source>
        <translation>Order {order_no} · {product} × {quantity}</translation>
    </message>
    <message>
        <source>请买家扫码付款（{gateway}）</source>
        <translation>Ask the buyer to scan and pay ({gateway})</translation>
    </message>
    <message>
        <source>二维码图片已复制</source>
        <translation>QR image copied</translation>
    </message>
    <message>
        <source>付款链接已复制</source>
        <translation>Pay link copied</translation>
    </message>
    <message>
        <source>{left} 后未付款将自动关闭（{at}）</source>
        <translation>Closes unpaid in {left} ({at})</translation>
    </message>
    <message>
        <source>已到付款期限：订单即将自动关闭，网关交易随之关闭</source>
        <translation>Time to pay is up: the order closes shortly, and its gateway trade with it</translation>
    </message>
    <message>
        <source>网关报告了付款，但需要你核对：{finding}。订单未发货，请在订单详情查看</source>
        <translation>The gateway reports a payment you must check: {finding}. Nothing was delivered; see the order&apos;s detail</translation>
    </message>
    <message>
        <source>订单已取消：库存和优惠券已退回，网关交易已关闭或正在关闭</source>
        <translation>Order cancelled: stock and coupon are back; the gateway trade is closed or being closed</translation>
    </message>
    <message>
        <source>订单已取消：库存已退回，网关交易已关闭或正在关闭</source>
        <translation>Order cancelled: the stock is back; the gateway trade is closed or being closed</translation>
    </message>
    <message>
        <source>正在生成收款二维码…</source>
        <translation>Creating the QR payment…</translation>
    </message>
    <message numerus="yes">
        <source>等待买家付款… 已查询网关 {n} 次，最近一次：{answer}</source>
        <translation>
            <numerusform>Waiting for the buyer to pay… asked the gateway {n} time, last: {answer}</numerusform>
            <numerusform>Waiting for the buyer to pay… asked the gateway {n} times, last: {answer}</numerusform>
        </translation>
    </message>
    <message>
        <source>等待买家付款… 付款后自动发货</source>
        <translation>Waiting for the buyer to pay… delivered as soon as it is paid</translation>
    </message>
    <message>
        <source>已支付。买家在黑名单：订单扣留待审，放行后才发货</source>
        <translation>Paid. The buyer is blocked: the order is held for review and delivered once released</translation>
    </message>
    <message>
        <source>已支付。卡密不足：已加入缺货待发，导入卡密后自动发货</source>
        <translation>Paid. Not enough codes: the order waits for codes and is delivered when they are imported</translation>
    </message>
    <message>
        <source>已支付，已发货：卡密如下，可复制发给买家</source>
        <translation>Paid and delivered: copy the codes below for the buyer</translation>
    </message>
    <message>
        <source>已支付，已发货</source>
        <translation>Paid and delivered</translation>
    </message>
    <message>
        <source>已支付，待发货</source>
        <translation>Paid, to deliver</translation>
    </message>
</context>
<context>
    <name>Screenshots</name>
    <message>
        <source>去年起的老客户；最近用不同支付宝账户连续下单</source>
        <translation>A regular since last year; lately orders from several Alipay accounts in a row</translation>
    </message>
    <message>
        <source>支付账户疑似盗用</source>
        <translation>payment account looks stolen</translation>
    </message>
</context>
<context>
    <name>SecretsBox</name>
    <message>
        <source>密钥存放</source>
        <translation>Where keys are kept</translation>
    </message>
    <message>
        <source>改用系统钥匙串</source>
        <translation>Use the OS keyring</translation>
    </message>
    <message>
        <source>网关密钥和卡密密钥保存在系统钥匙串里，启动时不需要口令。</source>
        <translation>Gateway keys and the card-code key are kept in the OS keyring; no passphrase at start.</translation>
    </message>
    <message>
        <source>网关密钥和卡密密钥保存在本机保险箱（vault.json）里，需要用到密钥时才会询问口令。</source>
        <translation>Gateway keys and the card-code key are kept in the local vault (vault.json); its passphrase is asked for only when a key is needed.</translation>
    </message>
    <message>
        <source>这台电脑没有可用的系统钥匙串</source>
        <translation>This PC has no working OS keyring</translation>
    </message>
    <message>
        <source>所有密钥已移到系统钥匙串，保险箱里不再保存。</source>
        <translation>Every key moved to the OS keyring; the vault no longer holds them.</translation>
    </message>
</context>
<context>
    <name>ServerAtStartDialog</name>
    <message>
        <source>连接数据库服务器</source>
        <translation>Connect to the database server</translation>
    </message>
    <message>
        <source>填写店铺所在的 PostgreSQL 服务器。测试连接通过后保存为这台电脑的数据存储，以后启动直接打开服务器上的店铺（之后可在设置页的“数据存储”里修改）。</source>
        <translation>Fill in the PostgreSQL server that holds the shop. Once the connection test passes it is saved as this computer&apos;s store, and later starts open the shop on the server (change it later in Settings &gt; 数据存储).</translation>
    </message>
    <message>
        <source>测试并保存</source>
        <translation>Test and save</translation>
    </message>
    <message>
        <source>返回</source>
        <translation>Back</translation>
    </message>
    <message>
        <source>例如 192.168.1.10 或 shop-server</source>
        <translation>e.g. 192.168.1.10 or shop-server</translation>
    </message>
    <message>
        <source>能加密就加密（prefer）</source>
        <translation>Encrypt when possible (prefer)</translation>
    </message>
    <message>
        <source>必须加密（require）</source>
        <translation>Always encrypt (require)</translation>
    </message>
    <message>
        <source>必须加密并核对服务器证书（verify-full）</source>
        <translation>Encrypt and verify the server&apos;s certificate (verify-full)</translation>
    </message>
    <message>
        <source>不加密（disable）</source>
        <translation>No encryption (disable)</translation>
    </message>
    <message>
        <source>主机</source>
        <translation>Host</translation>
    </message>
    <message>
        <source>端口</source>
        <translation>Port</translation>
    </message>
    <message>
        <source>数据库</source>
        <translation>Database</translation>
    </message>
    <message>
        <source>用户名</source>
        <translation>User name</translation>
    </message>
    <message>
        <source>密码</source>
        <translation>Password</translation>
    </message>
    <message>
        <source>加密连接（TLS）</source>
        <translation>Encrypted connection (TLS)</translation>
    </message>
</context>
<context>
    <name>SettingsPage</name>
    <message>
        <source>取消与退款政策</source>
        <translation>Cancel and refund policy</translation>
    </message>
    <message>
        <source>范围 {low} – {high}</source>
        <translation>Range {low} – {high}</translation>
    </message>
    <message>
        <source>全店不支持退款：付款后的申请一律拒绝（可按商品单独设置）</source>
        <translation>No refunds shop-wide: requests after payment are always rejected (can be set per product)</translation>
    </message>
    <message>
        <source>在文件管理器里打开数据文件夹（数据文件、备份、日志）</source>
        <translation>Open the data folder in the file manager (data file, backups, logs)</translation>
    </message>
    <message>
        <source>从订单重新计算报表页的数据（检查发现报表数据与订单不符时）</source>
        <translation>Compute the Reports page&apos;s data again from the orders (when the check finds it disagrees with them)</translation>
    </message>
    <message>
        <source>保存政策</source>
        <translation>Save policy</translation>
    </message>
    <message>
        <source>撤销修改</source>
        <translation>Revert changes</translation>
    </message>
    <message>
        <source>元</source>
        <translation>yuan</translation>
    </message>
    <message>
        <source>自动通过金额上限(元)</source>
        <translation>Auto-approve limit (yuan)</translation>
    </message>
    <message>
        <source>退款手续费(%)</source>
        <translation>Refund fee (%)</translation>
    </message>
    <message>
        <source>有设置项填写不正确，请按旁边的提示修改；未保存任何内容。</source>
        <translation>Some fields are not valid: see the note beside each. Nothing was saved.</translation>
    </message>
    <message>
        <source>政策已保存，之后的申请按新政策判断。</source>
        <translation>Policy saved; new requests are judged by it.</translation>
    </message>
    <message>
        <source>界面语言</source>
        <translation>Language</translation>
    </message>
    <message>
        <source>选择后立即切换，不用重启。</source>
        <translation>Switches at once; no restart needed.</translation>
    </message>
    <message>
        <source>已保存。</source>
        <translation>Saved.</translation>
    </message>
    <message>
        <source>数据与备份</source>
        <translation>Data and backups</translation>
    </message>
    <message>
        <source>打开文件夹</source>
        <translation>Open folder</translation>
    </message>
    <message>
        <source>立即备份</source>
        <translation>Back up now</translation>
    </message>
    <message>
        <source>数据文件夹</source>
        <translation>Data folder</translation>
    </message>
    <message>
        <source>备份</source>
        <translation>Backup</translation>
    </message>
    <message>
        <source>自动备份</source>
        <translation>Automatic backups</translation>
    </message>
    <message>
        <source>检查数据与操作日志</source>
        <translation>Check the data and the log</translation>
    </message>
    <message>
        <source>完整检查数据文件，并校验操作日志的哈希链（大店铺要几十秒）</source>
        <translation>Check the whole data file and verify the log&apos;s hash chains (tens of seconds on a big shop)</translation>
    </message>
    <message>
        <source>重建报表数据</source>
        <translation>Rebuild report data</translation>
    </message>
    <message>
        <source>检查</source>
        <translation>Check</translation>
    </message>
    <message>
        <source>正在检查…</source>
        <translation>Checking…</translation>
    </message>
    <message>
        <source>数据文件完整性检查未通过：{result}</source>
        <translation>The data file failed its integrity check: {result}</translation>
    </message>
    <message>
        <source>报表数据与订单不符（点“重建报表数据”）</source>
        <translation>the report data disagrees with the orders (click “Rebuild report data”)</translation>
    </message>
    <message numerus="yes">
        <source>数据完好；操作日志 {n} 行，哈希链无误。</source>
        <translation>
            <numerusform>The data is sound; the log&apos;s {n} row holds its hash chain.</numerusform>
            <numerusform>The data is sound; the log&apos;s {n} rows hold their hash chain.</numerusform>
        </translation>
    </message>
    <message>
        <source>发现问题：{problems}</source>
        <translation>Problems found: {problems}</translation>
    </message>
    <message>
        <source>；</source>
        <translation>; </translation>
    </message>
    <message>
        <source>发现问题，详见命令 kashop-desktop check 的输出。</source>
        <translation>Problems found: see the output of kashop-desktop check.</translation>
    </message>
    <message>
        <source>正在重建报表数据…</source>
        <translation>Rebuilding the report data…</translation>
    </message>
    <message>
        <source>报表数据已重建（此前与订单不符）</source>
        <translation>Report data rebuilt (it disagreed with the orders)</translation>
    </message>
    <message>
        <source>报表数据已重建（此前已与订单一致）</source>
        <translation>Report data rebuilt (it already agreed with the orders)</translation>
    </message>
    <message>
        <source>每天自动备份</source>
        <translation>Back up every day</translation>
    </message>
    <message>
        <source>保留最近</source>
        <translation>keep the latest</translation>
    </message>
    <message>
        <source>份（更早的自动备份会删除；手动备份一直保留）</source>
        <translation>(older automatic backups are deleted; manual ones are always kept)</translation>
    </message>
    <message>
        <source>正在备份…</source>
        <translation>Backing up…</translation>
    </message>
    <message>
        <source>备份失败：{error}</source>
        <translation>Backup failed: {error}</translation>
    </message>
    <message>
        <source>已备份到：{path}</source>
        <translation>Backed up to: {path}</translation>
    </message>
</context>
<context>
    <name>SignInDialog</name>
    <message>
        <source>登录 · 谁在操作</source>
        <translation>Sign in · who is working</translation>
    </message>
    <message>
        <source>登录</source>
        <translation>Sign in</translation>
    </message>
    <message>
        <source>这个店铺有多位操作员。请选择你的名字并输入密码；每一步操作都会记在你的名下。</source>
        <translation>This shop has several operators. Choose your name and type your password; every step is recorded under your name.</translation>
    </message>
    <message>
        <source>这个店铺现在只剩店主一个操作员，但店铺日志记录过添加其他操作员（他们的记录已不在），所以仍要登录。请输入店主的密码；设置页的“检查数据与操作日志”会列出不见的操作员。</source>
        <translation>Only the owner is left among this shop&apos;s operators, but the shop log records other operators added (their rows are gone), so sign-in stays on. Enter the owner&apos;s password; Settings&apos; “检查数据与操作日志” (check) names the operators gone.</translation>
    </message>
    <message>
        <source>这个店铺的其他操作员都已停用，但店主设了密码，所以仍要登录。请输入店主的密码；每一步操作都会记在你的名下。</source>
        <translation>The shop&apos;s other operators are all disabled, but the owner has a password, so sign-in stays on. Enter the owner&apos;s password; every step is recorded under your name.</translation>
    </message>
    <message>
        <source>请选择你的名字</source>
        <translation>Choose your name</translation>
    </message>
    <message>
        <source>操作员</source>
        <translation>Operator</translation>
    </message>
    <message>
        <source>密码</source>
        <translation>Password</translation>
    </message>
    <message>
        <source>取消，仍由 {name} 操作</source>
        <translation>Cancel, stay as {name}</translation>
    </message>
    <message>
        <source>退出程序</source>
        <translation>Quit</translation>
    </message>
    <message>
        <source>登录成功之前仍由 {name} 操作；取消则回到 {name}。</source>
        <translation>{name} stays signed in until the new password is right; Cancel goes back to {name}.</translation>
    </message>
    <message>
        <source>不登录就不能使用这个店铺：点“退出程序”会关闭窗口（数据都已保存）。</source>
        <translation>Nobody works this shop without signing in: Quit closes the window (everything is saved).</translation>
    </message>
    <message>
        <source>请输入密码</source>
        <translation>Enter the password</translation>
    </message>
</context>
<context>
    <name>StoreBox</name>
    <message>
        <source>数据存储</source>
        <translation>Data storage</translation>
    </message>
    <message>
        <source>这台电脑的数据文件</source>
        <translation>This PC&apos;s data file</translation>
    </message>
    <message>
        <source>数据库服务器（PostgreSQL，多台电脑共用一个店铺）</source>
        <translation>Database server (PostgreSQL: several PCs share one shop)</translation>
    </message>
    <message>
        <source>例如 192.168.1.10 或 shop-server</source>
        <translation>e.g. 192.168.1.10 or shop-server</translation>
    </message>
    <message>
        <source>能加密就加密（prefer）</source>
        <translation>Encrypt when the server can (prefer)</translation>
    </message>
    <message>
        <source>必须加密（require）</source>
        <translation>Always encrypt (require)</translation>
    </message>
    <message>
        <source>必须加密并核对服务器证书（verify-full）</source>
        <translation>Encrypt and check the server&apos;s certificate (verify-full)</translation>
    </message>
    <message>
        <source>不加密（disable）</source>
        <translation>Do not encrypt (disable)</translation>
    </message>
    <message>
        <source>留空：用系统信任的根证书</source>
        <translation>Empty: the system&apos;s trusted roots</translation>
    </message>
    <message>
        <source>选择…</source>
        <translation>Choose…</translation>
    </message>
    <message>
        <source>端口</source>
        <translation>Port</translation>
    </message>
    <message>
        <source>主机</source>
        <translation>Host</translation>
    </message>
    <message>
        <source>数据库</source>
        <translation>Database</translation>
    </message>
    <message>
        <source>用户名</source>
        <translation>User name</translation>
    </message>
    <message>
        <source>密码</source>
        <translation>Password</translation>
    </message>
    <message>
        <source>加密连接（TLS）</source>
        <translation>Encryption (TLS)</translation>
    </message>
    <message>
        <source>根证书文件</source>
        <translation>Root certificate file</translation>
    </message>
    <message>
        <source>证书 (*.crt *.pem *.cer);;所有文件 (*)</source>
        <translation>Certificates (*.crt *.pem *.cer);;All files (*)</translation>
    </message>
    <message>
        <source>测试连接</source>
        <translation>Test connection</translation>
    </message>
    <message>
        <source>保存</source>
        <translation>Save</translation>
    </message>
    <message>
        <source>保存后在下次启动时生效；密码存放在密钥存放处（系统钥匙串或保险箱），不写进任何设置文件。</source>
        <translation>Takes effect at the next start once saved; the password is kept in the key storage (OS keyring or vault), never in a settings file.</translation>
    </message>
    <message>
        <source>已保存（留空则不变）</source>
        <translation>Saved (leave empty to keep it)</translation>
    </message>
    <message>
        <source>现在：店铺在这台电脑的数据文件里（{path}）。</source>
        <translation>Now: the shop is in this PC&apos;s data file ({path}).</translation>
    </message>
    <message>
        <source>现在：店铺在数据库服务器上，主机 {host}，端口 {port}，数据库 {db}，用户 {user}，加密连接 sslmode={tls}。</source>
        <translation>Now: the shop is on a database server: host {host}, port {port}, database {db}, user {user}, TLS sslmode={tls}.</translation>
    </message>
    <message>
        <source>这是启动时的 --db 或环境变量 KASHOP_DB_URL 指定的；它们在时，下面保存的选择不起作用。</source>
        <translation>It was given at start by --db or KASHOP_DB_URL; while they are set, the choice saved below is not used.</translation>
    </message>
    <message>
        <source>请填写：{fields}</source>
        <translation>Please fill in: {fields}</translation>
    </message>
    <message>
        <source>、</source>
        <translation>, </translation>
    </message>
    <message>
        <source>正在连接数据库服务器…</source>
        <translation>Connecting to the database server…</translation>
    </message>
    <message>
        <source>连接已加密（TLS）。</source>
        <translation>The connection is encrypted (TLS).</translation>
    </message>
    <message>
        <source>连接没有加密。</source>
        <translation>The connection is not encrypted.</translation>
    </message>
    <message>
        <source>未保存：仍使用数据库服务器。</source>
        <translation>Not saved: the database server stays in use.</translation>
    </message>
    <message>
        <source>已保存：下次启动时使用这台电脑的数据文件。</source>
        <translation>Saved: the next start uses this PC&apos;s data file.</translation>
    </message>
    <message>
        <source>未保存。</source>
        <translation>Not saved.</translation>
    </message>
    <message>
        <source>已保存：下次启动时使用这个数据库服务器。</source>
        <translation>Saved: the next start uses this database server.</translation>
    </message>
    <message>
        <source>改回这台电脑的数据文件</source>
        <translation>Go back to this PC&apos;s data file</translation>
    </message>
    <message>
        <source>仍然改回数据文件</source>
        <translation>Go back to the data file anyway</translation>
    </message>
    <message>
        <source>留在服务器上</source>
        <translation>Stay on the server</translation>
    </message>
    <message>
        <source>新的数据存储位置在下次启动时生效。现在重新启动吗？</source>
        <translation>The new data storage takes effect at the next start. Restart now?</translation>
    </message>
    <message>
        <source>现在重启</source>
        <translation>Restart now</translation>
    </message>
    <message>
        <source>稍后</source>
        <translation>Later</translation>
    </message>
</context>
<context>
    <name>UnblockBuyerDialog</name>
    <message>
        <source>解除拉黑</source>
        <translation>Unblock</translation>
    </message>
    <message>
        <source>拉黑原因</source>
        <translation>Blocked because</translation>
    </message>
    <message>
        <source>以后导入的该买家订单不再扣留</source>
        <translation>Orders of this buyer imported later are not held</translation>
    </message>
    <message numerus="yes">
        <source>已扣留的 {n} 个订单仍然扣留待审，不会自动放行：请逐个或全部放行</source>
        <translation>
            <numerusform>The {n} order already held stays held, not released by this: release it on its own</numerusform>
            <numerusform>The {n} orders already held stay held, not released by this: release them one by one or all together</numerusform>
        </translation>
    </message>
</context>
<context>
    <name>VaultDialog</name>
    <message>
        <source>密钥保险箱</source>
        <translation>Key vault</translation>
    </message>
    <message>
        <source>创建保险箱</source>
        <translation>Create vault</translation>
    </message>
    <message>
        <source>解锁</source>
        <translation>Unlock</translation>
    </message>
    <message>
        <source>这台电脑没有系统钥匙串。网关密钥将保存在本机加密的保险箱里，请设置一个口令（至少 6 个字符）。口令不会被保存，忘记后需要重新录入网关密钥。</source>
        <translation>This computer has no system keyring. Gateway keys will be kept in an encrypted vault on this computer: set a passphrase (at least 6 characters). It is not stored; if you forget it, you must enter the gateway keys again.</translation>
    </message>
    <message>
        <source>网关密钥保存在本机加密的保险箱里。请输入口令解锁，之后才能发送退款和测试网关。</source>
        <translation>Gateway keys are kept in an encrypted vault on this computer. Enter the passphrase to unlock it before sending refunds or testing gateways.</translation>
    </message>
    <message>
        <source>口令</source>
        <translation>Passphrase</translation>
    </message>
    <message>
        <source>再输入一次</source>
        <translation>Repeat passphrase</translation>
    </message>
    <message>
        <source>口令至少 6 个字符</source>
        <translation>The passphrase needs at least 6 characters</translation>
    </message>
    <message>
        <source>两次输入的口令不一致</source>
        <translation>The two passphrases differ</translation>
    </message>
</context>
<context>
    <name>_BuyerDialog</name>
    <message>
        <source>买家</source>
        <translation>Buyer</translation>
    </message>
    <message>
        <source>会发生什么</source>
        <translation>What will happen</translation>
    </message>
    <message>
        <source>关闭</source>
        <translation>Close</translation>
    </message>
</context>
<context>
    <name>dialogs</name>
    <message>
        <source>；</source>
        <extracomment>The application property holding the UI language (&quot;zh&quot; or &quot;en&quot;), set by the app at start-up.</extracomment>
        <translation>; </translation>
    </message>
    <message>
        <source>待处理</source>
        <translation>Open</translation>
    </message>
    <message>
        <source>已批准</source>
        <translation>Approved</translation>
    </message>
    <message>
        <source>自动通过</source>
        <translation>Auto-approved</translation>
    </message>
    <message>
        <source>已拒绝</source>
        <translation>Rejected</translation>
    </message>
    <message>
        <source>未支付订单：将立即取消</source>
        <translation>Unpaid order: it will be cancelled at once</translation>
    </message>
    <message>
        <source>符合自动通过条件：将自动批准并原路退款</source>
        <translation>Meets the auto-approve rules: approved and refunded by the original route</translation>
    </message>
    <message>
        <source>需要人工审核</source>
        <translation>Needs your review</translation>
    </message>
    <message>
        <source>不能受理</source>
        <translation>Cannot be accepted</translation>
    </message>
    <message>
        <source>没有网关账户：需要手工退款</source>
        <translation>No gateway account: refund by hand</translation>
    </message>
    <message>
        <source>{name}：批准后自动原路退款</source>
        <translation>{name}: refunded by the original route on approval</translation>
    </message>
    <message>
        <source>{name}：不支持自动退款，需到网关后台手工退款</source>
        <translation>{name}: no automatic refund; refund by hand in the gateway back office</translation>
    </message>
</context>
</TS>
