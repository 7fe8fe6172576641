import { CfnParameter, type Stack } from "aws-cdk-lib";
import { CfnSecurityGroup, CfnSecurityGroupIngress } from "aws-cdk-lib/aws-ec2";

/** What {@link privateService} needs to know about one service reached from the pods. */
export interface PrivateServiceOptions {
  /** Prefix of every logical id (parameters `${id}VpcId`, `${id}SubnetIds`, `${id}ClientSecurityGroupId`, the group `${id}SecurityGroup`). */
  id: string;
  /** The service as the descriptions name it, e.g. "platform database". */
  name: string;
  /** The AWS service it runs on, e.g. "RDS PostgreSQL". */
  engine: string;
  /** Who reaches it, e.g. "pods" or "ingest pods". */
  clients: string;
  /** The ports the clients' group may reach, both included. */
  ports: { from: number; to: number };
  /** Suffix of the ingress rule's logical id (`${id}${ingressId}`) and its description. */
  ingress: { id: string; description: string };
}

/**
 * The network side of a service the pods reach inside the EKS cluster's VPC (the platform
 * database, the rate-limit store): three deploy-time parameters (the VPC, its private subnets
 * and the security group of the clients), the service's own security group, and one ingress
 * rule from the clients' group on the service's ports (no CIDR range ever reaches it).
 */
export function privateService(stack: Stack, o: PrivateServiceOptions) {
  const vpc = new CfnParameter(stack, `${o.id}VpcId`, {
    type: "AWS::EC2::VPC::Id",
    description: `VPC of the EKS cluster, where the ${o.name} (${o.engine}) runs`,
  });
  const subnets = new CfnParameter(stack, `${o.id}SubnetIds`, {
    type: "List<AWS::EC2::Subnet::Id>",
    description: `private subnets of the ${o.name}, two or three availability zones`,
  });
  const clients = new CfnParameter(stack, `${o.id}ClientSecurityGroupId`, {
    type: "AWS::EC2::SecurityGroup::Id",
    description: `security group of the ${o.clients} (or EKS nodes) allowed to reach the ${o.name}`,
  });
  const securityGroup = new CfnSecurityGroup(stack, `${o.id}SecurityGroup`, {
    groupDescription: `reeltime ${o.name} (${o.engine})`,
    vpcId: vpc.valueAsString,
  });
  new CfnSecurityGroupIngress(stack, `${o.id}${o.ingress.id}`, {
    groupId: securityGroup.attrGroupId,
    ipProtocol: "tcp",
    fromPort: o.ports.from,
    toPort: o.ports.to,
    sourceSecurityGroupId: clients.valueAsString,
    description: o.ingress.description,
  });
  return { vpc, subnets, clients, securityGroup };
}
