import * as ecr from '@pulumi/aws/ecr';
import * as pulumi from '@pulumi/pulumi';
import { PropsValidator } from '../core/errors';
import { componentLabel } from './policy';

/** Arguments of an {@link ImageRepository}. */
export interface ImageRepositoryArgs {
  /** Repository name. @default - the component name */
  readonly repositoryName?: string;
  /** Tagged images kept (older ones expire). @default 30 */
  readonly keepTaggedImages?: number;
  /** Days after which untagged images expire. @default 14 */
  readonly untaggedExpiryDays?: number;
  /** KMS key for image encryption. @default - AES256 */
  readonly kmsKeyArn?: pulumi.Input<string>;
  /** Tags. @default - none */
  readonly tags?: Readonly<Record<string, string>>;
}

/**
 * An ECR repository for model server images: scan on push, immutable tags
 * (a version tag always means the same image), encryption, and a lifecycle
 * policy that expires untagged images and keeps the newest tagged ones.
 */
export class ImageRepository extends pulumi.ComponentResource {
  /** Pulumi type token. */
  public static readonly TYPE = 'ml-platform:aws:ImageRepository';

  /** Repository URL (`<account>.dkr.ecr.<region>.amazonaws.com/<name>`). */
  public readonly repositoryUrl: pulumi.Output<string>;
  /** Repository ARN. */
  public readonly repositoryArn: pulumi.Output<string>;
  /** The repository (escape hatch). */
  public readonly repository: ecr.Repository;

  constructor(name: string, args: ImageRepositoryArgs = {}, opts?: pulumi.ComponentResourceOptions) {
    const v: PropsValidator = new PropsValidator(componentLabel(ImageRepository.TYPE, name));
    const repositoryName = v.matches('repositoryName', args.repositoryName ?? name, /^[a-z0-9]+(?:[._-][a-z0-9]+)*(?:\/[a-z0-9]+(?:[._-][a-z0-9]+)*)*$/,
      'must be an ECR repository name: lower-case letters, digits, ".", "_", "-" and "/"');
    const keep = v.integer('keepTaggedImages', args.keepTaggedImages ?? 30, 1, 10000);
    const untaggedDays = v.integer('untaggedExpiryDays', args.untaggedExpiryDays ?? 14, 1, 3650);
    super(ImageRepository.TYPE, name, {}, opts);
    this.repository = new ecr.Repository(`${name}-repository`, {
      name: repositoryName,
      imageScanningConfiguration: { scanOnPush: true },
      imageTagMutability: 'IMMUTABLE',
      encryptionConfigurations: [args.kmsKeyArn ? { encryptionType: 'KMS', kmsKey: args.kmsKeyArn } : { encryptionType: 'AES256' }],
      tags: { ...args.tags },
    }, { parent: this });
    new ecr.LifecyclePolicy(`${name}-lifecycle`, {
      repository: this.repository.name,
      policy: JSON.stringify({
        rules: [
          {
            rulePriority: 1,
            description: `Expire untagged images after ${untaggedDays} days`,
            selection: { tagStatus: 'untagged', countType: 'sinceImagePushed', countUnit: 'days', countNumber: untaggedDays },
            action: { type: 'expire' },
          },
          {
            rulePriority: 2,
            description: `Keep the newest ${keep} tagged images`,
            selection: { tagStatus: 'any', countType: 'imageCountMoreThan', countNumber: keep },
            action: { type: 'expire' },
          },
        ],
      }),
    }, { parent: this });
    this.repositoryUrl = this.repository.repositoryUrl;
    this.repositoryArn = this.repository.arn;
    this.registerOutputs({ repositoryUrl: this.repositoryUrl, repositoryArn: this.repositoryArn });
  }
}
