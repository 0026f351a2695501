/* The hotplugd Cockpit page: units, jobs, PCI domains and collaboration
 * hooks of org.hotplugd.Hotplug1, followed live through the daemon's
 * ObjectManager and PropertiesChanged (cockpit.dbus proxies), never polled.
 * Operations go through Cockpit's administrative access; polkit decides.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
"use strict";

const _ = cockpit.gettext;

const BUS = "org.hotplugd.Hotplug1";
const ROOT = "/org/hotplugd/Hotplug1";
const IFACE = {
    manager: BUS + ".Manager",
    unit: BUS + ".Unit",
    job: BUS + ".Job",
    domain: BUS + ".Domain",
};
const ERROR_PREFIX = BUS + ".Error.";
const NO_JOB = "/";
const KIND_LABEL = {
    sb: _("System board"),
    iou: _("I/O unit"),
    slot: _("PCI slot"),
    cpu: _("CPU"),
    memory: _("Memory"),
};
const HISTORY_KEEP = 8;
const MAX_LEVEL = 6;            /* the deepest indentation the style sheet has */

const client = cockpit.dbus(BUS, { bus: "system", superuser: "try" });
const manager = client.proxy(IFACE.manager, ROOT);
const units = client.proxies(IFACE.unit, ROOT);
const jobs = client.proxies(IFACE.job, ROOT);
const domains = client.proxies(IFACE.domain, ROOT);

const devices = new Map();      /* unit id → Manager.ListDevices answer */
const devicesAsked = new Map(); /* unit id → the PciDevices that answer is for */
const history = new Map();      /* job path → what the page saw of the job */
const folded = new Set();       /* keys of tree rows whose children are hidden */
let hooks = [];
let alerts = [];
let alertSeq = 0;
let problem = null;
let renderPending = false;

/* --- small helpers ------------------------------------------------------ */

function el(tag, props, ...children) {
    const e = document.createElement(tag);
    for (const [key, value] of Object.entries(props || {})) {
        if (value === undefined || value === null || value === false)
            continue;
        if (key === "class")
            e.className = value;
        else if (key === "text")
            e.textContent = value;
        else if (key === "data")
            Object.assign(e.dataset, value);
        else if (key.startsWith("on"))
            e.addEventListener(key.slice(2), value);
        else if (key === "disabled" || key === "checked" || key === "value")
            e[key] = value;
        else
            e.setAttribute(key, value === true ? "" : value);
    }
    for (const child of children.flat(Infinity)) {
        if (child !== null && child !== undefined && child !== false)
            e.append(child);
    }
    return e;
}

function proxyList(collection) {
    return Object.keys(collection).map(path => collection[path]).filter(p => p && p.valid);
}

function naturalCompare(a, b) {
    return a.localeCompare(b, undefined, { numeric: true });
}

/* list form (4-19,32) → numbers */
function parseList(text) {
    const out = [];
    for (const part of (text || "").split(",")) {
        if (!part.trim())
            continue;
        const [lo, hi] = part.split("-").map(n => parseInt(n, 10));
        for (let i = lo; i <= (isNaN(hi) ? lo : hi); i++)
            out.push(i);
    }
    return out;
}

function formatBytes(bytes) {
    const units_ = ["B", "KiB", "MiB", "GiB", "TiB", "PiB"];
    let value = Number(bytes);
    let i = 0;
    while (value >= 1024 && i < units_.length - 1 && value % 1024 === 0) {
        value /= 1024;
        i++;
    }
    return `${value} ${units_[i]}`;
}

/* lsmem's size column: 64G, 128M */
function formatLsmemSize(bytes) {
    const suffix = ["", "K", "M", "G", "T", "P"];
    let value = bytes;
    let i = 0;
    while (value >= 1024n && value % 1024n === 0n && i < suffix.length - 1) {
        value /= 1024n;
        i++;
    }
    return `${value}${suffix[i]}`;
}

function hexAddress(value) {
    return "0x" + value.toString(16).padStart(16, "0");
}

function formatTime(usec) {
    if (!usec)
        return "";
    return new Date(Number(usec) / 1000).toLocaleTimeString();
}

function errorName(err) {
    const name = err && err.name ? String(err.name) : "";
    return name.startsWith(ERROR_PREFIX) ? name.slice(ERROR_PREFIX.length) : name;
}

function errorText(err) {
    const name = errorName(err);
    const message = cockpit.message(err);
    return name && !message.startsWith(name) ? `${name}: ${message}` : message;
}

function basename(path) {
    return (path || "").split("/").pop();
}

function actionButton(action, label, enabled, danger, run) {
    return el("button", {
        type: "button",
        class: danger ? "danger" : "",
        data: { action },
        disabled: !enabled,
        text: label,
        onclick: run,
    });
}

function stateSpan(state, field) {
    return el("span", { class: `state state-${state}`, data: { field }, text: state || "-" });
}

/* a{sv} from plain values: booleans as b, numbers as u */
function options(values) {
    const out = {};
    for (const [key, value] of Object.entries(values)) {
        if (value === undefined || value === null || value === false || value === "")
            continue;
        out[key] = typeof value === "boolean" ? cockpit.variant("b", value) : cockpit.variant("u", Number(value));
    }
    return out;
}

/* --- alerts ------------------------------------------------------------- */

function addAlert(text, kind, action) {
    const id = ++alertSeq;
    alerts.push({ id, text, kind: kind || "error", action });
    scheduleRender();
    return id;
}

function dismissAlert(id) {
    alerts = alerts.filter(a => a.id !== id);
    scheduleRender();
}

function renderAlerts() {
    const box = document.getElementById("alerts");
    box.replaceChildren(...alerts.map(a => el("div", { class: `alert ${a.kind}`, data: { alert: a.kind } },
        el("span", { class: "text", text: a.text }),
        a.action && el("button", {
            type: "button",
            class: "small",
            data: { action: "alert" },
            text: a.action.label,
            onclick: () => { dismissAlert(a.id); a.action.run() },
        }),
        el("button", { type: "button", class: "small", text: _("Dismiss"), onclick: () => dismissAlert(a.id) }))));
}

/* --- the confirmation dialog -------------------------------------------- */

/* fields: [{ key, label, type: "bool" | "seconds", value }]; resolves to the
 * values, or null when the user cancels */
function ask(title, text, okLabel, fields) {
    const dialog = document.getElementById("dialog");
    document.getElementById("dialog-title").textContent = title;
    document.getElementById("dialog-text").textContent = text;
    const ok = document.getElementById("dialog-ok");
    ok.textContent = okLabel;
    const inputs = {};
    document.getElementById("dialog-options").replaceChildren(...(fields || []).map(f => {
        const input = f.type === "bool"
            ? el("input", { type: "checkbox", name: f.key, checked: !!f.value })
            : el("input", { type: "number", name: f.key, min: "0", value: String(f.value || 0) });
        inputs[f.key] = input;
        return el("label", {}, input, " ", f.label);
    }));
    return new Promise(resolve => {
        dialog.addEventListener("close", () => {
            if (dialog.returnValue !== "ok")
                return resolve(null);
            const values = {};
            for (const f of fields || [])
                values[f.key] = f.type === "bool" ? inputs[f.key].checked : Number(inputs[f.key].value);
            resolve(values);
        }, { once: true });
        dialog.returnValue = "";
        dialog.showModal();
        ok.focus();
    });
}

/* --- calls -------------------------------------------------------------- */

function call(path, iface, method, args) {
    return client.call(path, iface, method, args || []);
}

/* a call that starts a job: the job shows up by itself (InterfacesAdded);
 * only a refusal is the page's to show.  target (a unit or domain proxy) and
 * force (an alert action) for a call that the force option can push past
 * what is in the way: offered when the target is busy with no job of its own */
function start(what, path, iface, method, args, target, force) {
    call(path, iface, method, args).catch(err => {
        const blocked = force && errorName(err) === "Busy" && (!target.Job || target.Job === NO_JOB);
        addAlert(`${what}: ${errorText(err)}`, "error", blocked ? force : null);
    });
}

function unitRemove(u, values) {
    const eject = u.Kind === "sb" || u.Kind === "iou" ? values.eject : undefined;
    const opts = options({ force: values.force, "dry-run": values.dryrun });
    if (eject === false)
        opts.eject = cockpit.variant("b", false);
    start(cockpit.format(_("Remove $0"), u.Id), u.path, IFACE.unit, "Remove", [opts], u, {
        label: _("Remove anyway"),
        run: () => unitRemove(u, { ...values, force: true }),
    });
}

function domainSwitchover(d, values) {
    start(cockpit.format(_("Switch over domain $0"), d.Id), d.path, IFACE.domain, "PrepareForSwitchover",
          [options({ force: values.force, persist: values.persist, timeout: values.timeout || null, "dry-run": values.dryrun })],
          d, { label: _("Switch over anyway"), run: () => domainSwitchover(d, { ...values, force: true }) });
}

function onUnitAction(u, action) {
    const id = u.Id;
    if (action === "add") {
        ask(cockpit.format(_("Add $0"), id), _("Bring the unit into service: every part of it that is not online yet."),
            _("Add"), [{ key: "dryrun", label: _("Dry run (pre-add hooks only, nothing changes)"), type: "bool" }])
                .then(v => v && start(cockpit.format(_("Add $0"), id), u.path, IFACE.unit, "Add",
                                      [options({ "dry-run": v.dryrun })]));
    } else if (action === "remove") {
        const fields = [
            { key: "force", label: _("Force: remove even when something uses it"), type: "bool" },
            { key: "dryrun", label: _("Dry run (pre-remove hooks only, nothing changes)"), type: "bool" },
        ];
        if (u.Kind === "sb" || u.Kind === "iou")
            fields.push({ key: "eject", label: _("Eject when offline"), type: "bool", value: true });
        ask(cockpit.format(_("Remove $0"), id), _("Take the unit out of service. The hooks run around every step."),
            _("Remove"), fields).then(v => v && unitRemove(u, v));
    } else if (action === "replace") {
        ask(cockpit.format(_("Replace $0"), id),
            _("Quiesce the unit and wait for its part to be swapped, at most the window."), _("Replace"),
            [{ key: "window", label: _("Window in seconds"), type: "seconds", value: 300 },
                { key: "dryrun", label: _("Dry run"), type: "bool" }])
                .then(v => v && start(cockpit.format(_("Replace $0"), id), u.path, IFACE.unit, "Replace",
                                      [options({ window: v.window, "dry-run": v.dryrun })]));
    } else if (action === "cancel") {
        start(cockpit.format(_("Cancel the job on $0"), id), u.Job, IFACE.job, "Cancel");
    }
}

function onDomainAction(d, action) {
    const id = d.Id;
    if (action === "switchover") {
        ask(cockpit.format(_("Switch over domain $0"), id),
            _("Disconnect every device of the domain so that the platform can hand it to another host."),
            _("Switch over"), [
                { key: "force", label: _("Force: skip the busy checks"), type: "bool" },
                { key: "persist", label: _("Persist: ask refusing devices again until the timeout"), type: "bool" },
                { key: "timeout", label: _("Timeout in seconds (0: none)"), type: "seconds", value: 0 },
                { key: "dryrun", label: _("Dry run"), type: "bool" },
            ]).then(v => v && domainSwitchover(d, v));
    } else if (action === "connect") {
        ask(cockpit.format(_("Connect domain $0"), id), _("Take the domain into service on this host."), _("Connect"),
            [{ key: "dryrun", label: _("Dry run"), type: "bool" }])
                .then(v => v && start(cockpit.format(_("Connect domain $0"), id), d.path, IFACE.domain, "Connect",
                                      [options({ "dry-run": v.dryrun })]));
    } else if (action === "cancel-switchover") {
        start(cockpit.format(_("Cancel the switchover of domain $0"), id), d.path, IFACE.domain, "CancelSwitchover");
    }
}

/* --- what the page keeps of each job ------------------------------------ */

function jobRecord(path) {
    let rec = history.get(path);
    if (!rec) {
        rec = { path, id: Number(basename(path)), operation: "", unit: "", state: "", reason: "",
                phases: [], steps: [], hooks: [], sawRunning: false, start: 0 };
        history.set(path, rec);
    }
    return rec;
}

function notePhase(rec, phase) {
    if (phase && rec.phases[rec.phases.length - 1] !== phase)
        rec.phases.push(phase);
}

function onJob(job) {
    if (!job.valid)
        return;
    const rec = jobRecord(job.path);
    const before = rec.state;
    rec.operation = job.Operation;
    rec.unit = job.Unit;
    rec.state = job.State;
    rec.reason = job.Reason;
    rec.dryRun = job.DryRun;
    rec.start = job.StartTime;
    rec.end = job.EndTime;
    if (job.State === "running") {
        rec.sawRunning = true;
        notePhase(rec, job.Phase);
    } else if (before !== job.State && rec.sawRunning && job.State !== "succeeded") {
        const text = cockpit.format(_("$0 of $1 $2"), job.Operation, job.Unit, job.State) +
            (job.Reason ? ": " + job.Reason : "");
        addAlert(text, { vetoed: "veto", cancelled: "info" }[job.State] || "error");
    }
    pruneHistory();
}

function onJobSignal(path, iface, signal, args) {
    const rec = jobRecord(path);
    if (signal === "StepStarted") {
        const [phase, index, description] = args;
        rec.steps[index] = { phase, description, ok: null, message: "" };
        notePhase(rec, phase);
    } else if (signal === "StepFinished") {
        const [index, ok, message] = args;
        if (rec.steps[index]) {
            rec.steps[index].ok = ok;
            rec.steps[index].message = message;
        }
    } else if (signal === "HookFinished") {
        const [event, hook, status, result, duration] = args;
        rec.hooks.push({ event, hook, status, result, duration });
    }
    scheduleRender();
}

function pruneHistory() {
    const ended = [...history.values()].filter(r => r.state && r.state !== "running" && !jobs[r.path])
            .sort((a, b) => b.id - a.id);
    for (const rec of ended.slice(HISTORY_KEEP))
        history.delete(rec.path);
}

/* --- devices below units (Manager.ListDevices), asked when they change -- */

function refreshDevices(u) {
    const key = (u.PciDevices || []).join(" ");
    if (devicesAsked.get(u.Id) === key)
        return;
    devicesAsked.set(u.Id, key);
    if (!key) {
        devices.set(u.Id, []);
        return;
    }
    call(ROOT, IFACE.manager, "ListDevices", [u.Id])
            .then(([list]) => {
                if (devicesAsked.get(u.Id) === key) {
                    devices.set(u.Id, list);
                    scheduleRender();
                }
            })
            .catch(() => devicesAsked.delete(u.Id));
}

/* --- hooks (Manager.ListHooks) ------------------------------------------ */

function loadHooks() {
    return call(ROOT, IFACE.manager, "ListHooks", ["", ""])
            .then(([list]) => { hooks = list })
            .catch(err => addAlert(cockpit.format(_("Listing the hooks: $0"), errorText(err))))
            .finally(scheduleRender);
}

/* one row per hook and event, the kinds it runs for together, in the
 * daemon's run order */
function renderHooks() {
    const rows = [];
    const byKey = new Map();
    for (const [event, kind, name, path, origin, status, reason] of hooks) {
        const key = [event, name, path, origin, status, reason].join("\n");
        let row = byKey.get(key);
        if (!row) {
            row = { event, kinds: [], name, path, origin, status, reason };
            byKey.set(key, row);
            rows.push(row);
        }
        row.kinds.push(kind);
    }
    document.getElementById("hooks-body").replaceChildren(...(rows.length
        ? rows.map(r => el("tr", { data: { hook: r.name, event: r.event, status: r.status } },
            el("td", { text: r.event }),
            el("td", { text: r.kinds.join(", ") }),
            el("td", { class: "mono", title: r.path, text: r.name }),
            el("td", { text: r.origin }),
            el("td", {}, stateSpan(r.status, "status")),
            el("td", { data: { field: "reason" }, text: r.reason })))
        : [el("tr", {}, el("td", { colspan: "6", class: "muted", text: _("No hook is installed.") }))]));
}

/* --- the units tree ------------------------------------------------------ */

function toggleCell(key, hasChildren, ...content) {
    const open = !folded.has(key);
    return el("td", { class: "name" },
        hasChildren
            ? el("button", {
                type: "button",
                class: "toggle",
                "aria-expanded": String(open),
                text: open ? "▾" : "▸",
                onclick: () => { open ? folded.add(key) : folded.delete(key); scheduleRender() },
            })
            : el("span", { class: "toggle" }),
        content);
}

function blockersList(blockers) {
    if (!blockers || !blockers.length)
        return "";
    return el("ul", { class: "blockers", data: { field: "blockers" } }, blockers.map(([kind, object, detail, process]) =>
        el("li", { text: [kind, object, detail].filter(Boolean).join(" ") + (process ? ` (${process})` : "") })));
}

function lastJob(u) {
    if (!u.LastJobState)
        return "";
    return el("span", { data: { field: "lastjob" }, title: formatTime(u.LastJobEndTime) },
        `${u.LastJobOperation} `, stateSpan(u.LastJobState, "lastjob-state"),
        u.LastJobReason ? `: ${u.LastJobReason}` : "");
}

function partlyOnline(u) {
    return (u.CpusOnline || "") !== (u.Cpus || "") || u.MemoryBlocksOnline < u.MemoryBlocks;
}

function unitActions(u) {
    if (!u.Hotpluggable)
        return el("span", { class: "muted", text: u.HotpluggableReason || _("not hotpluggable") });
    const running = u.Job && u.Job !== NO_JOB;
    const present = u.State !== "absent";
    const canAdd = !running && present && (u.State !== "online" || partlyOnline(u));
    const canRemove = !running && present && u.State !== "offline";
    const canReplace = !running && u.State === "online" && ["sb", "iou", "slot"].includes(u.Kind);
    const button = (action, label, enabled, danger) =>
        actionButton(action, label, enabled, danger, () => onUnitAction(u, action));
    return [
        button("add", _("Add"), canAdd),
        button("remove", _("Remove"), canRemove, true),
        button("replace", _("Replace"), canReplace),
        running && button("cancel", _("Cancel"), true),
    ];
}

function unitDetails(u) {
    const parts = [];
    if (u.Cpus) {
        const all = parseList(u.Cpus).length;
        const online = parseList(u.CpusOnline).length;
        parts.push(cockpit.format(_("CPUs $0 ($1 of $2 online)"), u.Cpus, online, all));
    }
    if (u.MemoryBlocks)
        parts.push(cockpit.format(_("$0 memory ($1 of $2 blocks online)"), formatBytes(u.MemoryBytes),
                                  u.MemoryBlocksOnline, u.MemoryBlocks));
    if (u.Nodes)
        parts.push(cockpit.format(_("node $0"), u.Nodes));
    if (u.PciDevices && u.PciDevices.length)
        parts.push(cockpit.format(cockpit.ngettext("$0 PCI device", "$0 PCI devices", u.PciDevices.length),
                                  u.PciDevices.length));
    if (u.Domain && u.Kind !== "cpu" && u.Kind !== "memory")
        parts.push(cockpit.format(_("domain $0"), u.Domain));
    if (u.EjectPending)
        parts.push(_("eject pending"));
    return parts.join(" · ");
}

/* lsmem-style: RANGE SIZE STATE BLOCK for each range of the unit's blocks */
function memoryRows(u, level) {
    if (!u.MemoryBlocks || !u.MemoryRanges)
        return [];
    const blockSize = BigInt(u.MemoryBytes) / BigInt(u.MemoryBlocks);
    const state = u.MemoryBlocksOnline === u.MemoryBlocks
        ? "online"
        : u.MemoryBlocksOnline === 0 ? "offline" : cockpit.format(_("$0 of $1 blocks online"), u.MemoryBlocksOnline, u.MemoryBlocks);
    return u.MemoryRanges.split(",").filter(Boolean).map(range => {
        const [first, last] = range.split("-").map(n => BigInt(n));
        const end = last === undefined ? first : last;
        const start = first * blockSize;
        const stop = (end + 1n) * blockSize - 1n;
        return el("tr", { class: `detail level-${level}`, data: { memory: u.Id, range } },
            el("td", { class: "name mono", text: `${hexAddress(start)}-${hexAddress(stop)}` }),
            el("td", { text: state }),
            el("td", { class: "mono", text: cockpit.format(_("$0  blocks $1"), formatLsmemSize(stop - start + 1n), range) }),
            el("td"), el("td"), el("td"));
    });
}

function deviceRows(list, level) {
    return list.map(([address, depth, parent, description]) =>
        el("tr", { class: `detail level-${Math.min(level + depth, MAX_LEVEL)}`, data: { device: address } },
            el("td", { class: "name mono", title: parent ? cockpit.format(_("below $0"), parent) : null, text: address }),
            el("td"),
            el("td", { class: "mono", text: description }),
            el("td"), el("td"), el("td")));
}

function unitRows(u, level, byId) {
    const key = "unit:" + u.Id;
    const children = [];
    if (u.Kind === "sb" || u.Kind === "iou" || u.Kind === "memory") {
        children.push(...memoryRows(u, level + 1));
        const slots = (u.Slots || []).slice().sort(naturalCompare);
        const inSlots = new Set(slots.flatMap(id => (byId.get(id) || {}).PciDevices || []));
        const own = (devices.get(u.Id) || []).filter(d => !inSlots.has(d[0]));
        const minDepth = own.reduce((m, d) => Math.min(m, d[1]), Infinity);
        children.push(...deviceRows(own.map(d => [d[0], d[1] - minDepth, d[2], d[3]]), level + 1));
        for (const id of slots) {
            if (byId.has(id))
                children.push(...unitRows(byId.get(id), level + 1, byId));
        }
    } else if (u.Kind === "slot") {
        children.push(...deviceRows(devices.get(u.Id) || [], level + 1));
    }

    const row = el("tr", { class: `unit level-${level}`, data: { unit: u.Id, kind: u.Kind } },
        toggleCell(key, children.length > 0, el("strong", { text: u.Id }), " ",
                   el("span", { class: "muted", text: KIND_LABEL[u.Kind] || u.Kind })),
        el("td", {}, stateSpan(u.State, "state"),
           u.Phase ? [" · ", el("span", { data: { field: "phase" }, text: u.Phase })] : ""),
        el("td", { data: { field: "details" }, text: unitDetails(u) }),
        el("td", {}, blockersList(u.Blockers)),
        el("td", {}, lastJob(u)),
        el("td", { class: "actions" }, unitActions(u)));
    return [row, ...(folded.has(key) ? [] : children)];
}

function domainRows(d) {
    const running = d.Job && d.Job !== NO_JOB;
    const job = running ? jobs[d.Job] : null;
    const state = d.ConnectionState;
    const lastRec = [...history.values()].filter(r => r.unit === d.Id && r.state && r.state !== "running")
            .sort((a, b) => b.id - a.id)[0];
    const button = (action, label, enabled, danger) =>
        actionButton(action, label, enabled, danger, () => onDomainAction(d, action));
    return [el("tr", { class: "domain level-1", data: { domain: d.Id } },
        toggleCell("domain:" + d.Id, false, el("strong", { text: d.Id }), " ",
                   el("span", { class: "muted", text: _("PCI domain") })),
        el("td", {}, stateSpan(state, "state"),
           job && job.valid && job.Phase ? [" · ", el("span", { data: { field: "phase" }, text: job.Phase })] : ""),
        el("td", {
            data: { field: "details" },
            text: [
                d.Slots && d.Slots.length ? cockpit.format(_("slots $0"), d.Slots.join(", ")) : _("no slots"),
                cockpit.format(cockpit.ngettext("$0 PCI device", "$0 PCI devices", (d.PciDevices || []).length),
                               (d.PciDevices || []).length),
            ].join(" · "),
        }),
        el("td", {}, blockersList(d.Blockers)),
        el("td", {}, lastRec
            ? el("span", { data: { field: "lastjob" } }, `${lastRec.operation} `, stateSpan(lastRec.state, "lastjob-state"),
                 lastRec.reason ? `: ${lastRec.reason}` : "")
            : ""),
        el("td", { class: "actions" },
           button("switchover", _("Switch over"), !running && state === "connected", true),
           button("connect", _("Connect"), !running && state !== "connected"),
           button("cancel-switchover", _("Cancel switchover"),
                  state === "disconnecting" || (job && job.valid && job.Operation === "switchover")))),
    ];
}

function groupRow(key, label, count) {
    return el("tr", { class: "group", data: { group: key } },
        toggleCell("group:" + key, count > 0, label, " ", el("span", { class: "muted", text: `(${count})` })),
        el("td", { colspan: "5" }));
}

function renderUnits() {
    const all = proxyList(units).sort((a, b) => naturalCompare(a.Id, b.Id));
    const byId = new Map(all.map(u => [u.Id, u]));
    for (const u of all) {
        if (["sb", "iou", "slot"].includes(u.Kind))
            refreshDevices(u);
    }
    const groups = [
        ["boards", _("System boards"), all.filter(u => u.Kind === "sb")],
        ["io", _("I/O units"), all.filter(u => u.Kind === "iou")],
        ["slots", _("Slots on no unit"), all.filter(u => u.Kind === "slot" && !(u.Parent && byId.has(u.Parent)))],
        ["base", _("CPUs and memory on no board"), all.filter(u => u.Kind === "cpu" || u.Kind === "memory")],
    ];
    const rows = [];
    for (const [key, label, members] of groups) {
        rows.push(groupRow(key, label, members.length));
        if (!folded.has("group:" + key))
            members.forEach(u => rows.push(...unitRows(u, 1, byId)));
    }
    const doms = proxyList(domains).sort((a, b) => naturalCompare(a.Id, b.Id));
    rows.push(groupRow("domains", _("PCI domains"), doms.length));
    if (!folded.has("group:domains"))
        doms.forEach(d => rows.push(...domainRows(d)));
    document.getElementById("units-body").replaceChildren(...rows);
}

/* --- jobs ---------------------------------------------------------------- */

function renderJobs() {
    const running = proxyList(jobs).filter(j => j.State === "running").sort((a, b) => a.Id - b.Id);
    document.getElementById("no-jobs").hidden = running.length > 0;
    document.getElementById("jobs-body").replaceChildren(...running.map(j => {
        const pending = j.Pending
            ? el("span", { data: { field: "pending" } }, basename(j.Pending),
                 j.PendingReason ? `: ${j.PendingReason}` : "",
                 j.PendingSince ? ` (${cockpit.format(_("since $0"), formatTime(j.PendingSince))})` : "")
            : "";
        const windowEnd = j.WindowEnd
            ? el("span", { data: { field: "window" } }, cockpit.format(_("window ends $0"), formatTime(j.WindowEnd)))
            : "";
        return el("tr", { data: { job: String(j.Id), unit: j.Unit } },
            el("td", { text: String(j.Id) }),
            el("td", { text: `${j.Operation} ${j.Unit}` + (j.DryRun ? ` (${_("dry run")})` : "") + (j.Force ? ` (${_("forced")})` : "") }),
            el("td", {}, stateSpan(j.State, "state")),
            el("td", { data: { field: "phase" }, text: j.Phase }),
            el("td", { data: { field: "step" }, text: j.Step }),
            el("td", { class: "progress" }, el("progress", { max: "100", value: j.Progress }), ` ${j.Progress} %`),
            el("td", { class: "mono", data: { field: "hook" }, title: j.Hook, text: basename(j.Hook) }),
            el("td", {}, pending, windowEnd),
            el("td", { class: "actions" },
               j.WindowEnd
                   ? actionButton("resume", _("Resume"), true, false,
                                  () => start(cockpit.format(_("Resume job $0"), j.Id), j.path, IFACE.job, "Resume"))
                   : "",
               actionButton("cancel", _("Cancel"), true, true,
                            () => start(cockpit.format(_("Cancel job $0"), j.Id), j.path, IFACE.job, "Cancel"))));
    }));

    const recs = [...history.values()].filter(r => r.operation).sort((a, b) => b.id - a.id).slice(0, HISTORY_KEEP);
    document.getElementById("job-history").replaceChildren(...(recs.length
        ? recs.map(r => el("div", { class: "job-log", data: { job: String(r.id), unit: r.unit, state: r.state } },
            el("div", {},
               el("strong", { text: cockpit.format(_("Job $0: $1 of $2"), r.id, r.operation, r.unit) }),
               r.dryRun ? ` (${_("dry run")})` : "", " — ", stateSpan(r.state, "state"),
               r.reason ? el("span", { data: { field: "reason" }, text: `: ${r.reason}` }) : "",
               r.start ? el("span", { class: "muted", text: ` ${cockpit.format(_("started $0"), formatTime(r.start))}` }) : ""),
            el("div", { class: "phases", data: { field: "phases" }, text: r.phases.join(" → ") }),
            el("ol", { start: "0" }, r.steps.map((s, i) => s && el("li", {
                value: String(i),
                class: s.ok === false ? "bad" : "",
                data: { phase: s.phase },
                text: `${s.phase}: ${s.description}` + (s.ok === false ? ` — ${s.message || _("failed")}` : ""),
            }))),
            r.hooks.length ? el("ul", { data: { field: "hooks" } }, r.hooks.map(h => el("li", {
                class: { ok: "", pending: "warn", cancelled: "warn" }[h.result.split(":")[0]] ?? "bad",
                data: { hook: basename(h.hook), event: h.event },
                text: `${h.event} ${basename(h.hook)}: ${h.result} (${(Number(h.duration) / 1e6).toFixed(2)} s)`,
            }))) : ""))
        : [el("p", { class: "muted", text: _("No job since the page was opened.") })]));
}

/* --- the page ------------------------------------------------------------ */

function renderHeader() {
    const info = [];
    if (manager.valid) {
        info.push(cockpit.format(_("hotplugd $0"), manager.Version));
        if (manager.Simulated)
            info.push(_("simulated server"));
        info.push(cockpit.format(_("events from $0"), manager.EventSource));
    }
    document.getElementById("daemon-info").textContent = info.join(" · ");
    const p = document.getElementById("daemon-problem");
    p.hidden = !problem;
    p.textContent = problem || "";
}

function render() {
    renderPending = false;
    renderHeader();
    renderAlerts();
    renderUnits();
    renderJobs();
    renderHooks();
}

function scheduleRender() {
    if (!renderPending) {
        renderPending = true;
        window.setTimeout(render, 0);
    }
}

function init() {
    for (const collection of [units, domains])
        for (const ev of ["added", "changed", "removed"])
            collection.addEventListener(ev, scheduleRender);
    jobs.addEventListener("added", (ev, job) => { onJob(job); scheduleRender() });
    jobs.addEventListener("changed", (ev, job) => { onJob(job); scheduleRender() });
    jobs.addEventListener("removed", () => { pruneHistory(); scheduleRender() });
    manager.addEventListener("changed", scheduleRender);
    client.subscribe({ interface: IFACE.job, path_namespace: ROOT }, onJobSignal);
    /* a daemon that comes back is a new set of objects: read them afresh */
    let owner;
    client.addEventListener("owner", (ev, name) => {
        if (name && owner !== undefined && name !== owner)
            window.location.reload();
        owner = name === null ? owner || null : name;
        problem = name === null ? _("hotplugd is not running.") : null;
        scheduleRender();
    });
    client.addEventListener("close", (ev, options) => {
        problem = cockpit.format(_("The connection to hotplugd was closed: $0"), cockpit.message(options));
        scheduleRender();
    });
    document.getElementById("hooks-refresh").addEventListener("click", loadHooks);

    Promise.all([units.wait(), jobs.wait(), domains.wait(), manager.wait()])
            .then(() => {
                proxyList(jobs).forEach(onJob);
                return loadHooks();
            })
            .catch(err => { problem = cockpit.format(_("hotplugd cannot be reached: $0"), errorText(err)) })
            .finally(() => {
                render();
                document.body.dataset.ready = problem ? "error" : "yes";
            });
}

init();
