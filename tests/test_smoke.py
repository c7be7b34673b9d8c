import os
import subprocess
import sys


def test_version_runs():
    out = subprocess.run([sys.executable, "-m", "petbrowser", "--version"], capture_output=True, text=True)
    assert out.returncode == 0
    assert out.stdout.startswith("petbrowser ")


def test_moto_server_answers(s3_bucket, s3_endpoint):
    import boto3

    s3 = boto3.client("s3", endpoint_url=s3_endpoint, region_name="us-east-1")
    s3.put_object(Bucket=s3_bucket, Key="k", Body=b"v")
    assert s3.get_object(Bucket=s3_bucket, Key="k")["Body"].read() == b"v"
    assert os.environ["AWS_ACCESS_KEY_ID"].startswith("AKIAPETBROWSER")
