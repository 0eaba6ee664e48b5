//! Simplified Chinese for the renderings (`--lang zh`): each cause's title, explanation and
//! remediation as templates, the link rules, severities and headings. Frame numbers, cause
//! ids, JSON fields, evidence notes and Wireshark filters stay as they are (English), so a
//! ticket in Chinese still matches the JSON report and Wireshark.
//!
//! Templates take `{server}` (the server as the report names it: `name (ip:port)`),
//! `{name}` (the name looked up or served, else the server), `{flows}` (affected
//! connections) and `{clients}` (how many clients). A test checks that every cause a
//! detector can report has its entry.

use crate::detect::finding::Severity;
use crate::rank::RootCause;

/// One cause's text in Chinese.
pub struct CauseText {
    /// The cause id.
    pub cause: &'static str,
    /// One line: what is wrong, where.
    pub title: &'static str,
    /// Why, and what it means.
    pub why: &'static str,
    /// What to do, most useful first.
    pub fix: &'static [&'static str],
}

/// Every cause's text, in the contract's order.
pub const CAUSES: &[CauseText] = &[
    CauseText {
        cause: "arp_storm",
        title: "ARP 风暴：一台主机在短时间内发出大量 ARP 请求",
        why: "一台主机在短时间内发送了大量 ARP 请求，占用广播带宽：扫描程序、配置错误（例如把大网段当作直连网段），或二层环路。",
        fix: &[
            "在交换机 MAC 地址表中找到这台主机，检查它为何如此频繁地发送 ARP。",
            "如果同样的请求从多个端口重复出现，检查生成树是否存在环路。",
        ],
    },
    CauseText {
        cause: "arp_unanswered",
        title: "无人应答 {server} 的 ARP 请求",
        why: "客户端多次询问 {server} 的 MAC 地址（who-has），没有任何主机应答：该主机已关机、断线、位于其他 VLAN，或配置了别的地址。没有 ARP 应答，IP 报文根本发不出去，连 SYN 都不会出现在线路上。",
        fix: &[
            "确认 {server} 已开机并接入网络，检查其接口地址和 VLAN。",
            "确认客户端配置的网关或服务器地址是否正确。",
        ],
    },
    CauseText {
        cause: "ip_conflict",
        title: "{server} 地址冲突：多个 MAC 声明同一个 IP",
        why: "抓包中有多个不同的 MAC 地址在 ARP 中声明 {server}，并交替出现：两台主机配置了同一个 IP（静态地址重复，或与 DHCP 地址池冲突）。客户端的 ARP 缓存在两台主机之间来回切换，连接时通时断。",
        fix: &[
            "根据这两个 MAC 在交换机上找到对应端口和主机，修改其中一台的 IP。",
            "检查 DHCP 地址池是否与静态地址重叠。",
        ],
    },
    CauseText {
        cause: "arp_vip_move",
        title: "{server} 的 MAC 地址发生变化（VIP 漂移）",
        why: "{server} 先由一个 MAC 应答，随后另一个 MAC 发出免费 ARP（gratuitous ARP）接管该地址，原主机不再应答：典型的虚拟 IP 主备切换（VRRP/keepalived、负载均衡或集群）。在客户端 ARP 缓存更新之前，发往旧 MAC 的连接会失败。",
        fix: &[
            "查看集群或 VRRP 日志，确认主备切换的原因。",
            "确认切换后交换机和客户端的 ARP 表已经更新（免费 ARP 是否被广播并被接受）。",
        ],
    },
    CauseText {
        cause: "arp_spoofing",
        title: "疑似 ARP 欺骗：有 MAC 持续冒充 {server}",
        why: "有一个 MAC 反复发送未经请求的 ARP 应答，声称自己是 {server}：ARP 欺骗（中间人攻击）或配置错误设备的典型特征，流量可能被劫持或中断。",
        fix: &[
            "根据该 MAC 在交换机上定位发送者端口并隔离。",
            "在接入交换机上启用 DAI（动态 ARP 检测）或端口安全。",
        ],
    },
    CauseText {
        cause: "icmp_unreachable",
        title: "{server} 不可达：收到 ICMP 目标不可达",
        why: "请求被 ICMP 目标不可达消息拒绝（端口不可达、主机不可达、管理性禁止等）：目标主机上没有服务监听，或路径上的防火墙、路由器明确拒绝。",
        fix: &[
            "根据 ICMP 的发送者和代码判断是目标主机还是中间设备拒绝，检查对应的防火墙 REJECT 规则或路由。",
            "确认 {server} 上的服务在运行并监听该端口。",
        ],
    },
    CauseText {
        cause: "icmp_ttl_exceeded",
        title: "发往 {server} 的报文 TTL 超时（疑似路由环路）",
        why: "路径上的路由器回送 ICMP TTL 超时：报文在到达 {server} 之前 TTL 已耗尽，通常是路由环路。",
        fix: &["从客户端 traceroute 到 {server}，找出反复出现的跳点，检查这些路由器之间的路由。"],
    },
    CauseText {
        cause: "icmp_frag_needed",
        title: "路径 MTU 较小：收到“需要分片”的 ICMP 消息",
        why: "路径上的设备回送 ICMP“需要分片但设置了 DF”（IPv6 为 Packet Too Big），说明路径 MTU 小于发送方使用的 MTU（常见于 VPN、隧道、PPPoE）。发送方据此调小报文后即可正常通信。",
        fix: &["如果连接仍然异常，在隧道接口上做 MSS 钳制（MSS clamping）。"],
    },
    CauseText {
        cause: "pmtu_blackhole",
        title: "到 {server} 的路径 MTU 黑洞：大报文始终无法通过",
        why: "TCP 握手成功、小报文正常，但满长度的报文被反复重传却从未被确认，也没有收到 ICMP“需要分片”：路径上某处 MTU 较小而 ICMP 被过滤，形成 PMTU 黑洞。典型现象是连接建立后一传大数据（TLS 证书、文件）就卡住。",
        fix: &[
            "放行 ICMP 类型 3 代码 4（IPv6 为 Packet Too Big），让路径 MTU 发现正常工作。",
            "或在隧道、边界设备上做 MSS 钳制，调小 MSS。",
        ],
    },
    CauseText {
        cause: "tcp_syn_unanswered",
        title: "{server} 不响应 SYN（被静默丢弃）",
        why: "客户端的连接请求（SYN）没有收到任何应答：没有 SYN-ACK、没有 RST，也没有 ICMP 错误。典型原因是防火墙或安全组的 DROP 规则；如果该主机对所有端口都不应答，也可能是主机宕机或不可达。",
        fix: &[
            "检查客户端与 {server} 之间的防火墙规则和安全组：DROP 规则正是这种现象。",
            "在服务器上确认服务在监听，并在服务器侧同时抓包，判断 SYN 是否到达。",
        ],
    },
    CauseText {
        cause: "tcp_rejected_rst",
        title: "{server} 拒绝连接（SYN 收到 RST）",
        why: "连接请求被 RST 直接拒绝：目标端口上没有程序监听（服务未启动或端口配置错误），或防火墙以 RST 拒绝。",
        fix: &[
            "在 {server} 上确认服务正在监听该端口（ss -ltn）。",
            "检查防火墙是否有以 tcp-reset 方式拒绝的规则。",
        ],
    },
    CauseText {
        cause: "rst_storm",
        title: "RST 风暴：{server} 在短时间内重置了大量连接",
        why: "同一台主机在短时间内用 RST 断开了大量连接：服务进程崩溃或重启、过载、连接数达到上限，或防火墙、IPS 代为重置会话。",
        fix: &[
            "查看 {server} 在这些时间点的服务日志：崩溃、重启或连接数限制。",
            "比较 RST 报文与该服务器其他报文的 TTL：不同则说明是防火墙或 IPS 发出的。",
        ],
    },
    CauseText {
        cause: "tcp_reset_midstream",
        title: "到 {server} 的连接在传输中被 RST 中断",
        why: "已建立的连接在数据传输过程中被 RST 中断：应用异常退出、负载均衡或防火墙的空闲超时，或连接数限制。",
        fix: &[
            "查看应用和代理在这些时间点的日志。",
            "检查路径上负载均衡和防火墙的空闲超时、请求超时和连接数限制。",
        ],
    },
    CauseText {
        cause: "syn_flood",
        title: "SYN 洪泛：{server} 收到大量半开连接",
        why: "大量 SYN 涌向 {server}，握手却从未完成：SYN 洪泛攻击，或大量客户端同时重连导致服务器的连接队列溢出。",
        fix: &[
            "在服务器上启用 SYN cookies，检查 backlog 长度。",
            "在边界设备上对来源限速或清洗流量。",
        ],
    },
    CauseText {
        cause: "port_scan",
        title: "端口扫描",
        why: "一台主机在短时间内向多个主机或端口发送不带数据的探测：扫描程序（nmap 或漏洞扫描器）。对连通性问题而言这是噪声，除非这个扫描者本不应存在。",
        fix: &["确认扫描者是否为已知的安全扫描；否则排查这台主机。"],
    },
    CauseText {
        cause: "tcp_peers_unreachable",
        title: "客户端 {server} 连不上它尝试的大多数对端",
        why: "同一个客户端尝试连接许多不同的地址，其中大多数不应答或拒绝连接：问题在客户端的对端列表（过期的对端列表、服务发现返回了失效地址、P2P 或扫描程序），而不在各个服务器上。",
        fix: &[
            "找到该客户端上发起这些连接的程序，以及它从哪里获得这些地址。",
            "如果这些对端理应可达，检查客户端网关之后到这些对端的路由和过滤。",
        ],
    },
    CauseText {
        cause: "tcp_retransmissions",
        title: "与 {server} 之间重传较多",
        why: "相当比例的 TCP 报文是重传：路径上存在丢包（链路质量差、拥塞、限速或 MTU 问题），吞吐下降，交互变慢。",
        fix: &[
            "沿路径检查接口错误计数和丢包（ping、mtr）。",
            "检查是否有限速或 QoS 丢弃。",
        ],
    },
    CauseText {
        cause: "tcp_zero_window",
        title: "{server} 连接出现零窗口：接收方处理不过来",
        why: "一方通告了零接收窗口：接收方应用没有及时读取数据（处理太慢或挂起），发送方只能等待，传输停滞。",
        fix: &["检查接收方应用的负载和处理能力（CPU、磁盘、线程池）。"],
    },
    CauseText {
        cause: "dns_nxdomain",
        title: "域名 {name} 不存在（NXDOMAIN）",
        why: "DNS 服务器回答该域名不存在（NXDOMAIN）：配置的主机名拼写错误、缺少 DNS 记录，或查询了错误的 DNS 视图（内网与公网）。",
        fix: &[
            "核对客户端配置的域名拼写。",
            "在权威 DNS 上确认该记录存在；若是内网域名，确认客户端使用的是内网 DNS。",
        ],
    },
    CauseText {
        cause: "dns_servfail",
        title: "{name} 解析失败：DNS 服务器返回 SERVFAIL",
        why: "递归 DNS 服务器无法得到答案（SERVFAIL）：其上游或权威服务器不可达，或 DNSSEC 校验失败。",
        fix: &[
            "在该 DNS 服务器上检查转发器、上游的连通性和日志。",
            "用 dig +cd 测试，排除 DNSSEC 校验问题。",
        ],
    },
    CauseText {
        cause: "dns_refused",
        title: "{name} 的解析被拒绝（REFUSED）",
        why: "DNS 服务器拒绝为这些客户端解析（REFUSED）：ACL 不允许、服务器关闭了递归，或客户端配置了错误的 DNS 服务器。",
        fix: &[
            "检查 DNS 服务器的 ACL 和递归设置。",
            "确认客户端使用的 DNS 服务器地址正确。",
        ],
    },
    CauseText {
        cause: "dns_error",
        title: "{name} 解析出错：DNS 返回错误码",
        why: "DNS 服务器对这些查询返回了不常见的错误码（FORMERR、NOTIMP 或扩展错误码），通常是客户端与服务器之间的协议或 EDNS 兼容问题。",
        fix: &["用 dig 复现查询，查看完整的返回码和扩展错误信息（EDE）。"],
    },
    CauseText {
        cause: "dns_timeout",
        title: "发往 {server} 的 DNS 查询没有应答",
        why: "客户端发出的 DNS 查询在超时时间内没有收到任何应答：DNS 服务器宕机、53 端口被防火墙丢弃，或网络不通。",
        fix: &[
            "确认 DNS 服务器在运行且 53 端口对客户端开放（dig @服务器 域名）。",
            "检查路径上的防火墙是否丢弃 UDP 53。",
        ],
    },
    CauseText {
        cause: "dns_slow",
        title: "{server} 的 DNS 应答很慢",
        why: "部分查询的应答时间远高于该服务器的中位数：DNS 服务器在等待缓慢或不可达的上游。",
        fix: &["检查该 DNS 服务器的转发器及其延迟，考虑就近部署缓存 DNS。"],
    },
    CauseText {
        cause: "dns_truncated",
        title: "{server} 的 DNS 应答被截断（TC）",
        why: "UDP 应答超过大小限制被截断（TC 标志），客户端需要改用 TCP 重新查询；如果 TCP 不通，大应答（多个地址、DNSSEC）就会丢失。",
        fix: &["放行客户端到 DNS 服务器的 TCP 53 端口，并确认客户端解析库支持 TCP 回退。"],
    },
    CauseText {
        cause: "dns_nodata",
        title: "{name} 存在但没有地址记录（NODATA）",
        why: "查询返回 NOERROR 但没有应答记录：该域名存在，但没有所查类型的记录（例如只有 AAAA 没有 A）。",
        fix: &["为该域名添加 A 记录，或修正客户端使用的名称。"],
    },
    CauseText {
        cause: "dns_tcp_blocked",
        title: "{server} 的大 DNS 应答丢失：UDP 被截断，TCP 53 又不通",
        why: "应答超过 UDP 大小被截断（TC），客户端随即改用 TCP 重试，但到 {server} 的 TCP 53 连接被丢弃或拒绝，这些域名始终解析不出来；小应答仍走 UDP 正常，所以看起来像是“某些域名坏了”。通常是防火墙或安全组只放行了 UDP 53。",
        fix: &[
            "放行客户端到 {server} 的 TCP 53（DNS 同时需要 UDP 和 TCP，见 RFC 7766）。",
            "在此之前可以减小应答：减少每个域名的记录数。",
        ],
    },
    CauseText {
        cause: "dns_upstream_failure",
        title: "DNS 服务器 {server} 无法解析：其上游拒绝或不应答",
        why: "{server} 本身可达、应答也快，但对客户端的查询返回 SERVFAIL；它向上游发出的查询被拒绝（REFUSED）或没有应答。问题在解析器后面：上游转发器不允许它查询（ACL、关闭了递归）、上游宕机，或 DNSSEC 校验无法完成。",
        fix: &[
            "检查上游转发器是否允许 {server} 查询（ACL、递归设置），以及是否在运行。",
            "在 {server} 上直接用 dig @上游 测试。",
            "或者把 {server} 的转发器改为可用的上游。",
        ],
    },
    CauseText {
        cause: "http_5xx",
        title: "{server} 返回服务器错误（HTTP 5xx）",
        why: "服务器对请求返回 5xx 错误：网络本身是通的（TCP 和 HTTP 都已完成），故障在服务端应用或其后端（数据库、上游服务）。",
        fix: &[
            "查看 {server} 上应用和反向代理在这些时间点的日志。",
            "如果返回 503 并带有 Retry-After，确认服务是否处于维护或限流状态。",
        ],
    },
    CauseText {
        cause: "http_401",
        title: "{server} 要求认证（HTTP 401）",
        why: "服务器以 401 拒绝了请求：客户端没有提供凭据，或凭据、令牌无效或已过期。",
        fix: &["检查客户端配置的账号、密码或令牌是否正确、是否过期。"],
    },
    CauseText {
        cause: "http_403",
        title: "{server} 拒绝访问（HTTP 403）",
        why: "服务器理解请求但拒绝执行（403）：权限不足、IP 白名单限制或 WAF 拦截。",
        fix: &["检查服务端的访问控制、IP 白名单和 WAF 规则。"],
    },
    CauseText {
        cause: "http_4xx",
        title: "{server} 返回客户端错误（HTTP 4xx）",
        why: "服务器以 4xx 回应请求：请求的路径不存在、方法不被允许或请求格式有误，通常是客户端配置的 URL 或接口版本不对。",
        fix: &["核对客户端请求的 URL、方法和接口版本。"],
    },
    CauseText {
        cause: "http_slow",
        title: "{server} 响应缓慢",
        why: "部分请求要等待数秒才收到响应头，而同一服务器的其他请求只需毫秒级：网络已把请求立即送达，时间花在应用或其依赖（数据库、上游）上，超时设置较短的客户端会放弃。",
        fix: &["在 {server} 上分析这些慢请求：应用日志，以及数据库和上游在这些时间点的延迟。"],
    },
    CauseText {
        cause: "http_duplicate_request",
        title: "客户端重复发送相同的请求",
        why: "同一客户端在短时间内多次发送完全相同的请求：客户端在服务器应答之前超时重发（重试风暴）；对 POST 等非幂等请求，可能会被重复处理。",
        fix: &[
            "把客户端超时调得比服务器响应时间更长，并为重试加上退避。",
            "让接口具备幂等性（请求 ID），使重试无害。",
        ],
    },
    CauseText {
        cause: "tls_cert_expired",
        title: "{server} 的证书已过期",
        why: "服务器证书在抓包时刻已经过期，客户端校验失败并中止握手。",
        fix: &["更新服务器证书，同时确认客户端时钟正确。"],
    },
    CauseText {
        cause: "tls_cert_not_yet_valid",
        title: "{server} 的证书尚未生效",
        why: "证书的生效时间晚于抓包时刻：证书签发时间设置错误，或服务器、客户端时钟不准。",
        fix: &["检查服务器和客户端的系统时间（NTP），必要时重新签发证书。"],
    },
    CauseText {
        cause: "tls_ca_expired",
        title: "{server} 证书链中的 CA 证书已过期",
        why: "证书链中的中间 CA 证书在抓包时刻已经过期，即使服务器证书本身有效，链校验也会失败。",
        fix: &["把服务器发送的中间证书更换为有效版本。"],
    },
    CauseText {
        cause: "tls_chain_incomplete",
        title: "{server} 的证书链不完整（缺少中间证书）",
        why: "服务器只发送了服务器证书，没有发送中间 CA 证书，客户端无法把证书链接到受信任的根证书。浏览器有时能自动补全，但大多数程序和库会失败。",
        fix: &["在服务器上配置完整证书链（服务器证书加中间证书）。"],
    },
    CauseText {
        cause: "tls_chain_broken",
        title: "{server} 的证书链签名无法校验",
        why: "证书链中某个证书的签名无法用其签发者的公钥验证：配置了错误的中间证书（例如证书更新后中间证书不匹配）。",
        fix: &["检查服务器配置的中间证书是否与服务器证书匹配，重新部署正确的证书链。"],
    },
    CauseText {
        cause: "tls_unknown_ca",
        title: "{server} 的证书由不受信任的 CA 签发",
        why: "证书链的顶端是客户端不信任的 CA：私有 CA 没有安装到客户端的信任库，或证书链不完整。（分析使用私有 CA 的抓包时，可用 --ca-bundle 指定该 CA。）",
        fix: &["使用公开受信任的证书，或把私有 CA 安装到客户端（并用 --ca-bundle 传给 pcap-rca）。"],
    },
    CauseText {
        cause: "tls_self_signed",
        title: "{server} 使用自签名证书",
        why: "服务器发送的是自签名证书，不被客户端信任：测试证书误用于生产，或缺少正式签发的证书。",
        fix: &["使用受信任 CA 签发的证书，或在客户端安装该私有 CA。"],
    },
    CauseText {
        cause: "tls_hostname_mismatch",
        title: "{server} 的证书与请求的域名不匹配",
        why: "证书中的域名（SAN）不包含客户端请求的名称（SNI）：证书部署错误、客户端用 IP 访问，或虚拟主机配置错误。",
        fix: &["为该域名签发包含正确 SAN 的证书，或让客户端使用证书中的域名访问。"],
    },
    CauseText {
        cause: "tls_weak_cipher",
        title: "{server} 使用弱加密套件",
        why: "服务器选择了不安全的加密套件（RC4、3DES、导出级或无认证套件），现代客户端会拒绝连接。",
        fix: &["在 {server} 上禁用弱套件，只保留 AEAD 套件（AES-GCM、ChaCha20-Poly1305）。"],
    },
    CauseText {
        cause: "tls_obsolete_version",
        title: "{server} 使用过时的 TLS 版本",
        why: "服务器协商了已被弃用的协议版本（TLS 1.0/1.1、SSLv3）。RFC 8996 已废弃 TLS 1.0 和 1.1，新版本的客户端和库会拒绝连接，客户端一升级，服务就会中断。",
        fix: &["在 {server} 上启用 TLS 1.2 和 1.3，禁用 TLS 1.0/1.1。"],
    },
    CauseText {
        cause: "tls_version_mismatch",
        title: "到 {server} 的 TLS 版本不匹配",
        why: "双方没有共同支持的 TLS 版本：例如只支持 TLS 1.3 的客户端连接只支持 TLS 1.2 的服务器，或老旧的 TLS 1.0 客户端连接现代服务器。",
        fix: &["在服务器上启用 TLS 1.2 和 1.3，或升级客户端，使其支持服务器的版本。"],
    },
    CauseText {
        cause: "tls_handshake_failure",
        title: "到 {server} 的 TLS 握手失败（没有共同参数）",
        why: "双方无法就握手参数达成一致：通常是没有共同的加密套件（或曲线、签名算法），例如只支持国密套件的客户端连接不支持国密的服务器。",
        fix: &["比较客户端提供的加密套件和服务器的配置，启用双方都支持的套件。"],
    },
    CauseText {
        cause: "tls_client_cert_required",
        title: "{server} 要求客户端证书（双向 TLS）",
        why: "服务器要求客户端提供证书（双向 TLS），客户端没有提供或提供的证书不被接受，握手失败。",
        fix: &["为客户端配置正确的客户端证书和私钥，并确认它由服务器信任的 CA 签发。"],
    },
    CauseText {
        cause: "tls_alert",
        title: "到 {server} 的 TLS 握手被告警中止",
        why: "TLS 握手中一方发送了致命告警（fatal alert），握手失败；告警类型说明了原因（证书、版本、加密套件等）。",
        fix: &["根据告警类型检查服务器配置，并用 openssl s_client -connect 复现。"],
    },
    CauseText {
        cause: "tls_handshake_aborted",
        title: "到 {server} 的 TLS 握手被中止",
        why: "TLS 握手没有完成就被关闭，也没有看到告警：客户端在收到服务器证书后直接断开，通常是证书校验失败（TLS 1.3 的告警是加密的，抓包中看不到原因）。",
        fix: &["在客户端查看 TLS 错误信息，并用 openssl s_client -connect 检查服务器证书链。"],
    },
    CauseText {
        cause: "tls_weak_key",
        title: "{server} 使用弱密钥或弱签名",
        why: "证书链或密钥交换使用了过短的密钥（如 1024 位 RSA 或 DH）或弱签名算法（SHA-1、MD5），新版本客户端会拒绝连接。",
        fix: &["使用至少 2048 位的 RSA 或 ECDSA 密钥和 SHA-256 签名，DH 参数至少 2048 位（或改用 ECDHE）。"],
    },
    CauseText {
        cause: "capture_truncated",
        title: "抓包被截断：报文只保存了前面一部分",
        why: "报文的捕获长度小于实际长度（snaplen 过小），应用层内容（TLS 证书、HTTP 头）可能不完整，相关检查无法进行。",
        fix: &["用 tcpdump -s 0（不截断）重新抓包。"],
    },
    CauseText {
        cause: "capture_loss",
        title: "抓包本身丢包：部分数据没有被捕获",
        why: "接收方确认了抓包中并不存在的数据，说明是抓包主机或镜像端口丢了包，而不是网络丢包；基于“没看到某个报文”得出的结论因此不太可靠。",
        fix: &["加大抓包缓冲区（tcpdump -B），写到更快的磁盘，或用抓包过滤器减少数据量。"],
    },
    CauseText {
        cause: "capture_one_sided",
        title: "抓包只看到了单向流量",
        why: "大部分连接只能看到一个方向的报文：镜像端口只镜像了单向流量，或抓包时使用了方向过滤。基于“没有应答”的结论（SYN 无应答、超时）因此不可信。",
        fix: &["在能看到双向流量的位置重新抓包，或把镜像配置改为双向。"],
    },
];

/// The Chinese text of `cause`, if it has one.
pub fn cause_text(cause: &str) -> Option<&'static CauseText> {
    CAUSES.iter().find(|c| c.cause == cause)
}

/// Fills a template with `rc`'s server, name, flows and clients.
pub fn fill(template: &str, rc: &RootCause) -> String {
    let clients = rc.clients_total.unwrap_or(rc.clients.len() as u64);
    fill_parts(template, rc.server.as_ref(), rc.affected_flows, clients)
}

/// Fills a template from the parts of a root cause or a finding.
fn fill_parts(
    template: &str,
    server: Option<&crate::detect::finding::Server>,
    flows: u64,
    clients: u64,
) -> String {
    let sv = server;
    let server = sv.map_or("该主机".to_string(), |s| {
        let ep = match s.port {
            Some(p) if s.ip.contains(':') => format!("[{}]:{p}", s.ip),
            Some(p) => format!("{}:{p}", s.ip),
            None => s.ip.clone(),
        };
        match &s.name {
            Some(n) => format!("{n}（{ep}）"),
            None => ep,
        }
    });
    let name = sv
        .and_then(|s| s.name.clone())
        .unwrap_or_else(|| server.clone());
    template
        .replace("{server}", &server)
        .replace("{name}", &name)
        .replace("{flows}", &flows.to_string())
        .replace("{clients}", &clients.to_string())
        // No space after a full-width parenthesis ("example（10.0.0.5:443）的证书").
        .replace("） ", "）")
}

/// The language of a rendering, and its words.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Tr(pub super::Lang);

impl Tr {
    fn zh(self) -> bool {
        self.0 == super::Lang::Zh
    }

    /// Headings and labels.
    pub fn words(self) -> &'static Words {
        if self.zh() { &ZH } else { &EN }
    }

    /// The verdict sentence.
    pub fn headline(self, r: &super::Report) -> String {
        if self.zh() { headline(r) } else { super::headline(r) }
    }

    /// A root cause's title.
    pub fn title(self, rc: &RootCause) -> String {
        if self.zh() { title(rc) } else { rc.title.clone() }
    }

    /// A root cause's explanation.
    pub fn why(self, rc: &RootCause) -> String {
        if self.zh() { why(rc) } else { rc.explanation.clone() }
    }

    /// A root cause's remediation.
    pub fn fix(self, rc: &RootCause) -> Vec<String> {
        if self.zh() { fix(rc) } else { rc.remediation.clone() }
    }

    /// A severity's name.
    pub fn severity(self, s: Severity) -> &'static str {
        if self.zh() { severity(s) } else { s.as_str() }
    }

    /// A layer's name.
    pub fn layer(self, l: crate::detect::finding::Layer) -> String {
        if self.zh() {
            layer(l).to_string()
        } else {
            format!("{} layer", format!("{l:?}").to_lowercase())
        }
    }

    /// A consequence's sentence: its note, or in Chinese its finding's title and the rule.
    pub fn consequence(self, r: &super::Report, c: &crate::rank::Consequence) -> String {
        if !self.zh() {
            return c.note.clone();
        }
        let rule_name = serde_json::to_string(&c.rule).unwrap_or_default();
        let how = rule(rule_name.trim_matches('"'));
        match (r.findings.iter().find(|f| f.id == c.finding), cause_text(&c.cause)) {
            (Some(f), Some(t)) => {
                let clients = f.clients_total.unwrap_or(f.clients.len() as u64);
                let title = fill_parts(t.title, f.server.as_ref(), f.affected_flows, clients);
                format!("{title}：{how}。")
            }
            _ => format!("{}：{how}。", c.note),
        }
    }

    /// An area's check.
    pub fn check(self, c: &super::Check) -> String {
        if self.zh() { check(c) } else { c.summary.clone() }
    }

    /// "N of M shown".
    pub fn shown(self, n: usize, of: usize) -> String {
        if self.zh() {
            format!("（共 {of} 个，显示 {n} 个）")
        } else {
            format!(" ({n} of {of} shown)")
        }
    }

    /// "and N more (M in all)".
    pub fn more(self, n: usize, total: u64) -> String {
        if self.zh() {
            format!(" 等，共 {total} 个")
        } else {
            format!(" and {n} more ({total} in all)")
        }
    }
}

/// A root cause's title in Chinese (its English title when the cause has no entry).
pub fn title(rc: &RootCause) -> String {
    cause_text(&rc.cause).map_or(rc.title.clone(), |t| fill(t.title, rc))
}

/// A root cause's explanation in Chinese.
pub fn why(rc: &RootCause) -> String {
    cause_text(&rc.cause).map_or(rc.explanation.clone(), |t| fill(t.why, rc))
}

/// A root cause's remediation in Chinese.
pub fn fix(rc: &RootCause) -> Vec<String> {
    cause_text(&rc.cause).map_or(rc.remediation.clone(), |t| {
        t.fix.iter().map(|f| fill(f, rc)).collect()
    })
}

/// A severity in Chinese.
pub fn severity(s: Severity) -> &'static str {
    match s {
        Severity::Critical => "严重",
        Severity::High => "高",
        Severity::Medium => "中",
        Severity::Low => "低",
        Severity::Info => "提示",
    }
}

/// How a consequence relates to its root cause, by rule name.
pub fn rule(rule: &str) -> &'static str {
    match rule {
        "icmp_answers_syn" => "ICMP 错误说明了这些 SYN 无应答的原因",
        "vip_failover" => "VIP 漂移期间发往旧 MAC 的连接失败",
        "spoofing" => "地址被欺骗期间发往冒充者 MAC 的连接失败",
        "legacy_server" => "服务器的旧协议或弱参数导致客户端中止握手",
        "dns_tcp_blocked" => "截断应答的 TCP 重试失败",
        "resolver_upstream" => "解析器的上游失败导致的解析失败",
        "rst_storm" => "属于同一次 RST 事件",
        "slow_service" => "客户端等不及慢响应而断开",
        "storm_noise" => "ARP 风暴本身发出的请求",
        "many_peers" => "该客户端尝试的对端之一",
        "same_cause" => "同一问题在客户端一侧的表现",
        _ => "同一事件",
    }
}

/// Text of the renderings' headings and labels.
pub struct Words {
    /// "Verdict".
    pub verdict: &'static str,
    /// "Root causes".
    pub root_causes: &'static str,
    /// "Consequences".
    pub consequences: &'static str,
    /// "Clients".
    pub clients: &'static str,
    /// "When".
    pub when: &'static str,
    /// "Evidence".
    pub evidence: &'static str,
    /// "Wireshark filter".
    pub filter: &'static str,
    /// "What to do".
    pub what_to_do: &'static str,
    /// "Checked" heading.
    pub checked: &'static str,
    /// "Captures".
    pub captures: &'static str,
    /// "sure".
    pub sure: &'static str,
    /// "ok" in the checks.
    pub ok: &'static str,
    /// "trouble" in the checks.
    pub trouble: &'static str,
    /// "Findings".
    pub findings: &'static str,
    /// "none found".
    pub none: &'static str,
    /// The colon after a label.
    pub colon: &'static str,
    /// "frames" before a list of frame numbers.
    pub frames: &'static str,
}

/// English.
pub const EN: Words = Words {
    verdict: "Verdict",
    root_causes: "Root causes",
    consequences: "Consequences",
    clients: "Clients",
    when: "When",
    evidence: "Evidence",
    filter: "Wireshark filter",
    what_to_do: "What to do",
    checked: "Checked (ok: ruled out; trouble: see the root causes above)",
    captures: "Captures",
    sure: "sure",
    ok: "ok",
    trouble: "trouble",
    findings: "Findings",
    none: "none found",
    colon: ": ",
    frames: "frames",
};

/// Simplified Chinese.
pub const ZH: Words = Words {
    verdict: "结论",
    root_causes: "根本原因",
    consequences: "由此导致",
    clients: "受影响的客户端",
    when: "时间",
    evidence: "证据",
    filter: "Wireshark 过滤器",
    what_to_do: "处理建议",
    checked: "已检查（正常：已排除；异常：见上方根本原因）",
    captures: "抓包文件",
    sure: "可信度",
    ok: "正常",
    trouble: "异常",
    findings: "检测结果",
    none: "未发现",
    colon: "：",
    frames: "帧",
};

/// A layer's name in Chinese.
pub fn layer(l: crate::detect::finding::Layer) -> &'static str {
    use crate::detect::finding::Layer;
    match l {
        Layer::Network => "网络层",
        Layer::Transport => "传输层",
        Layer::Application => "应用层",
        Layer::Security => "安全层",
        Layer::Capture => "抓包",
    }
}

/// One area's check in Chinese, from its counts.
pub fn check(c: &super::Check) -> String {
    let (seen, failed) = (c.seen, c.failed);
    let tail = |what: &str| {
        if failed == 0 {
            "全部正常".to_string()
        } else {
            format!("其中 {failed} 个{what}")
        }
    };
    match c.area {
        "arp" if seen == 0 => "ARP：没有看到请求".into(),
        "arp" => format!("ARP：询问了 {seen} 个地址，{}", tail("无应答")),
        "icmp" if seen == 0 => "ICMP：没有差错报文".into(),
        "icmp" => format!("ICMP：{seen} 个差错报文（不可达、超时、需要分片）"),
        "tcp" if seen == 0 => "TCP：没有连接".into(),
        "tcp" => format!("TCP：{seen} 个连接，{}", tail("无应答或被拒绝")),
        "dns" if seen == 0 => "DNS：没有查询".into(),
        "dns" => format!("DNS：{seen} 次查询，{}", tail("无应答或出错")),
        "http" if seen == 0 => "HTTP：没有明文请求".into(),
        "http" => format!("HTTP：{seen} 个请求，{}", tail("无应答或服务器错误")),
        "tls" if seen == 0 => "TLS：没有握手".into(),
        "tls" => format!("TLS：{seen} 次握手，{}", tail("失败")),
        _ => c.summary.clone(),
    }
}

/// The verdict in one sentence, in Chinese.
pub fn headline(r: &super::Report) -> String {
    let Some(top) = r.root_causes.first() else {
        return format!("正常：在 {} 个报文中没有发现问题。", r.summary.packets);
    };
    let more = match r.root_causes.len() - 1 {
        0 => String::new(),
        n => format!("；下方另有 {n} 个根本原因"),
    };
    if r.summary.verdict == "healthy" {
        return format!(
            "正常：没有中等及以上严重程度的问题。次要问题：{}（{}，{}）{more}。",
            title(top),
            top.cause,
            severity(top.severity)
        );
    }
    format!(
        "{}（{}，严重程度：{}，可信度 {:.0}%）{more}。",
        title(top),
        top.cause,
        severity(top.severity),
        top.confidence * 100.0
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_cause_a_detector_reports_has_its_chinese_text() {
        let missing: Vec<&str> = crate::detect::DETECTORS
            .iter()
            .flat_map(|d| d.causes.iter().map(|c| c.name()))
            .filter(|c| cause_text(c).is_none())
            .collect();
        assert!(missing.is_empty(), "no Chinese text for {missing:?}");
        for t in CAUSES {
            assert!(!t.title.is_empty() && !t.why.is_empty() && !t.fix.is_empty(), "{}", t.cause);
        }
    }

    #[test]
    fn every_rule_has_its_chinese_name() {
        for r in crate::explain::RULES {
            let name = serde_json::to_string(&r.rule).unwrap();
            assert_ne!(rule(name.trim_matches('"')), "同一事件", "{name}");
        }
    }
}
