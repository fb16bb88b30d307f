import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import { type AwsTarget, baseClientConfig } from "./target";

export interface DynamoDbClients {
  dynamodb: DynamoDBClient;
  /** Document client with `removeUndefinedValues`: the one every DynamoDB adapter uses. */
  documents: DynamoDBDocumentClient;
}

export function createDynamoDbClients(target: AwsTarget): DynamoDbClients {
  const dynamodb = new DynamoDBClient({
    ...baseClientConfig(target),
    ...(target.dynamodbEndpoint ? { endpoint: target.dynamodbEndpoint } : {}),
  });
  const documents = DynamoDBDocumentClient.from(dynamodb, {
    marshallOptions: { removeUndefinedValues: true },
  });
  return { dynamodb, documents };
}
