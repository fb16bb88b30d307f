import { EC2Client } from "@aws-sdk/client-ec2";
import { type AwsTarget, baseClientConfig } from "./target";

/** EC2 (managed prefix lists), for the prefix-list subscriber only: no local emulator. */
export function createEc2Client(target: AwsTarget & { ec2Endpoint?: string }): EC2Client {
  return new EC2Client({
    ...baseClientConfig(target),
    ...(target.ec2Endpoint ? { endpoint: target.ec2Endpoint } : {}),
  });
}
