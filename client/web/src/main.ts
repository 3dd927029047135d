/** Entry point and routing: /join/CODE and / (join page), /board, /facilitator/new (also /new), /plenary, /facilitator, /analysis. */
import "./styles.css";
import { BoardPage } from "./ui/board";
import { detectLang, setLang } from "./ui/i18n";
import { joinPage } from "./ui/join";
import { loadSession, saveSession } from "./ui/session";
import { consolePage } from "./facilitator/console";
import { newWorkshopPage } from "./facilitator/new";
import { plenaryPage } from "./plenary/plenary";
import { analysisPage } from "./analysis/page";
import { WorkshopBar } from "./workshop/bar";

const root = document.getElementById("app")!;
let page: BoardPage | null = null;
/** The facilitator console, the plenary screen, or the workshop bar over a board. */
let screen: { close(): void } | null = null;

function wsUrl(): string {
  const proto = location.protocol === "https:" ? "wss:" : "ws:";
  return `${proto}//${location.host}/ws`;
}

function go(path: string): void {
  history.pushState(null, "", path);
  route();
}

function route(): void {
  page?.close();
  page = null;
  screen?.close();
  screen = null;
  const path = location.pathname;
  const join = /^\/join\/([^/]+)\/?$/.exec(path);
  if (join) {
    joinPage(root, decodeURIComponent(join[1]!), go);
  } else if (path === "/board" || path.startsWith("/board/")) {
    const s = loadSession();
    if (!s) {
      joinPage(root, "", go);
      return;
    }
    // The programme may move a participant to another board (individual or pair parts).
    page = new BoardPage(root, s, wsUrl(), (board) => {
      saveSession({ ...s, board });
      route();
    });
    screen = new WorkshopBar(page, { ...s });
  } else if (path === "/plenary") {
    screen = plenaryPage(root, wsUrl());
  } else if (path === "/analysis") {
    screen = analysisPage(root, wsUrl());
  } else if (path === "/facilitator/new" || path === "/new") {
    // One way to start a workshop: this page, then the console (code, QR code, programme).
    newWorkshopPage(root, go);
  } else if (path === "/facilitator") {
    screen = consolePage(root, wsUrl(), go);
  } else {
    const code = new URLSearchParams(location.search).get("code") ?? "";
    joinPage(root, code, go);
  }
}

setLang(detectLang(), false);
window.addEventListener("popstate", route);
route();
