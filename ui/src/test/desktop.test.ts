import { describe, expect, it } from "vitest";
import { desktop, listeningPort, portError } from "../lib/desktop";

describe("the desktop app's commands", () => {
  it("exist only in the app's window: the injected session says desktop and Tauri's IPC is there", () => {
    const invoke = () => Promise.resolve(null);
    expect(desktop({})).toBeNull();
    expect(desktop({ __SWITCHBOARD__: { desktop: true } })).toBeNull();
    expect(desktop({ __TAURI_INTERNALS__: { invoke } })).toBeNull();
    expect(desktop({ __SWITCHBOARD__: { desktop: false }, __TAURI_INTERNALS__: { invoke } })).toBeNull();
    expect(desktop({ __SWITCHBOARD__: { desktop: true }, __TAURI_INTERNALS__: { invoke } })).not.toBeNull();
  });

  it("name the app's commands and their arguments as the app registers them", async () => {
    const calls: Array<[string, unknown]> = [];
    const invoke = (cmd: string, args?: Record<string, unknown>) => {
      calls.push([cmd, args]);
      return Promise.resolve({ port: 4100 });
    };
    const app = desktop({ __SWITCHBOARD__: { desktop: true }, __TAURI_INTERNALS__: { invoke } });
    if (!app) throw new Error("no desktop");
    await app.settings();
    await app.change({ port: 4100, logLevel: "debug" });
    await app.restartGateway();
    await app.chooseConfig();
    await app.chooseConfig(true);
    await app.openFolder("data");
    expect(calls).toEqual([
      ["app_settings", undefined],
      ["change_app_settings", { change: { port: 4100, logLevel: "debug" } }],
      ["restart_gateway", undefined],
      ["choose_config", { clear: false }],
      ["choose_config", { clear: true }],
      ["open_folder", { folder: "data" }],
    ]);
  });

  it("turn the app's refusal into an Error carrying it as a sentence", async () => {
    const invoke = () => Promise.reject("port 80 needs administrator rights; choose one from 1024 to 65535");
    const app = desktop({ __SWITCHBOARD__: { desktop: true }, __TAURI_INTERNALS__: { invoke } });
    await expect(app?.change({ port: 80 })).rejects.toThrow("Port 80 needs administrator rights");
  });
});

describe("the port field", () => {
  it("takes 1024 to 65535 and says why another is refused", () => {
    expect(portError("4000")).toBeNull();
    expect(portError(" 65535 ")).toBeNull();
    expect(portError("1024")).toBeNull();
    expect(portError("80")).toMatch(/administrator rights/);
    expect(portError("65536")).toMatch(/highest port is 65535/);
    expect(portError("")).toMatch(/whole number/);
    expect(portError("40a0")).toMatch(/whole number/);
    expect(portError("-1")).toMatch(/whole number/);
  });

  it("reads the listening port off the gateway's address", () => {
    expect(listeningPort("http://127.0.0.1:4000")).toBe(4000);
    expect(listeningPort("http://127.0.0.1:4123/")).toBe(4123);
    expect(listeningPort(null)).toBeNull();
    expect(listeningPort("http://localhost")).toBeNull();
  });
});
