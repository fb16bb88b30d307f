import { createServer } from "node:http";
import type { AddressInfo } from "node:net";

/**
 * SSM Parameter Store's GetParameter on the wire (JSON 1.1 protocol) on loopback, for a bundle
 * running in its own process (AWS_ENDPOINT_URL_SSM). It holds named parameters; a SecureString is
 * answered decrypted only when asked `WithDecryption`, as SSM does. A missing name is
 * ParameterNotFound (400).
 */

export interface FakeParameter {
  type: "String" | "SecureString";
  value: string;
}

export async function startSsmParameterServer(
  parameters: Record<string, FakeParameter>,
  location: { region: string; accountId: string },
) {
  const server = createServer((request, response) => {
    let body = "";
    request.on("data", (chunk: Buffer) => {
      body += chunk.toString("utf8");
    });
    request.on("end", () => {
      const send = (status: number, json: unknown) => {
        response.writeHead(status, { "content-type": "application/x-amz-json-1.1" });
        response.end(JSON.stringify(json));
      };
      const target = `${request.headers["x-amz-target"] ?? ""}`;
      if (target !== "AmazonSSM.GetParameter") {
        send(400, { __type: "InvalidAction", message: `${target} is not served here` });
        return;
      }
      const input = JSON.parse(body || "{}") as { Name?: string; WithDecryption?: boolean };
      const name = input.Name ?? "";
      const parameter = parameters[name];
      if (parameter === undefined) {
        send(400, { __type: "ParameterNotFound", message: `${name} not found` });
        return;
      }
      const encrypted = parameter.type === "SecureString" && input.WithDecryption !== true;
      send(200, {
        Parameter: {
          Name: name,
          Type: parameter.type,
          Value: encrypted ? Buffer.from(parameter.value).toString("base64") : parameter.value,
          Version: 1,
          ARN: `arn:aws:ssm:${location.region}:${location.accountId}:parameter${name}`,
          DataType: "text",
        },
      });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    stop: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
