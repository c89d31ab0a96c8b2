package blob

import (
	"context"
	"fmt"
	"go/build"
	"io/fs"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/minio/minio-go/v7"
	"github.com/minio/minio-go/v7/pkg/credentials"

	"madina/internal/platform/errs"
	"madina/internal/platform/testenv"
)

// versityGWVersion is the versitygw the suite is tested with; CI installs
// it with: go install github.com/versity/versitygw/cmd/versitygw@v1.8.0
const versityGWVersion = "v1.8.0"

const (
	gwAccess = "madina-test-access"
	gwSecret = "madina-test-secret-0123456789"
)

func TestS3Store(t *testing.T) {
	gw := startVersityGW(t)
	t.Setenv("MADINA_S3_ACCESS_KEY", gwAccess)
	t.Setenv("MADINA_S3_SECRET_KEY", gwSecret)
	var n atomic.Int32
	testStore(t, harness{newStore: func(t *testing.T) (Store, inspector) {
		ctx := context.Background()
		bucket := fmt.Sprintf("blob-test-%d", n.Add(1))
		if err := gw.admin.MakeBucket(ctx, bucket, minio.MakeBucketOptions{}); err != nil {
			t.Fatal(err)
		}
		const prefix = "blobs/"
		dataDir := t.TempDir()
		s, err := Open(ctx, fmt.Sprintf("s3://%s?endpoint=http://%s&region=us-east-1&path_style=true&prefix=%s",
			bucket, gw.addr, prefix), dataDir)
		if err != nil {
			t.Fatal(err)
		}
		return s, inspector{
			spool: func(t *testing.T) []string { return listFiles(t, filepath.Join(dataDir, "blob-spool")) },
			blobs: func(t *testing.T) []string {
				var out []string
				for o := range gw.admin.ListObjects(ctx, bucket, minio.ListObjectsOptions{Recursive: true}) {
					if o.Err != nil {
						t.Fatal(o.Err)
					}
					if !strings.HasPrefix(o.Key, prefix) {
						t.Errorf("object %q outside the prefix %q", o.Key, prefix)
					}
					out = append(out, strings.TrimPrefix(o.Key, prefix))
				}
				return out
			},
			// The posix backend keeps each object as a file.
			stored: func(t *testing.T, sha string) fs.FileInfo {
				return mustStat(t, filepath.Join(gw.root, bucket, prefix+sha))
			},
		}
	}})

	t.Run("OpenFailsOnMissingBucket", func(t *testing.T) {
		_, err := Open(context.Background(), "s3://no-such-bucket?endpoint=http://"+gw.addr+"&path_style=true", t.TempDir())
		if err == nil {
			t.Fatal("Open of a missing bucket succeeded")
		}
	})

	t.Run("OpenRefusesWrongSecret", func(t *testing.T) {
		if err := gw.admin.MakeBucket(context.Background(), "blob-test-auth", minio.MakeBucketOptions{}); err != nil {
			t.Fatal(err)
		}
		t.Setenv("MADINA_S3_SECRET_KEY", "wrong-secret-value")
		_, err := Open(context.Background(), "s3://blob-test-auth?endpoint=http://"+gw.addr+"&path_style=true", t.TempDir())
		if err == nil {
			t.Fatal("Open with a wrong secret succeeded")
		}
		if strings.Contains(err.Error(), "wrong-secret-value") {
			t.Errorf("error quotes the secret: %v", err)
		}
	})
}

type versityGW struct {
	addr  string // host:port
	root  string // posix backend directory: root/bucket/key
	admin *minio.Client
	stop  func() // kills the server, as an outage would
}

// findVersityGW looks for the versitygw binary where developers and CI
// put it.
func findVersityGW() string {
	if p := os.Getenv("MADINA_VERSITYGW"); p != "" {
		return p
	}
	if p, err := exec.LookPath("versitygw"); err == nil {
		return p
	}
	for _, p := range []string{filepath.Join(build.Default.GOPATH, "bin", "versitygw"), "/tmp/gobin/versitygw"} {
		if info, err := os.Stat(p); err == nil && !info.IsDir() {
			return p
		}
	}
	return ""
}

// startVersityGW runs a real S3 server on a free loopback port, backed by
// a temporary directory, until the test ends.
func startVersityGW(t *testing.T) *versityGW {
	t.Helper()
	bin := findVersityGW()
	testenv.Need(t, "s3", bin != "",
		"versitygw not found ($MADINA_VERSITYGW, PATH, $GOPATH/bin, /tmp/gobin); install with: "+
			"go install github.com/versity/versitygw/cmd/versitygw@"+versityGWVersion)

	gw := &versityGW{addr: freeLoopbackAddr(t), root: t.TempDir()}
	out := &testenv.Buffer{}
	cmd := exec.Command(bin, "--port", gw.addr, "--access", gwAccess, "--secret", gwSecret, "--quiet",
		"posix", gw.root)
	cmd.Stdout, cmd.Stderr = out, out
	if err := cmd.Start(); err != nil {
		t.Fatalf("starting versitygw: %v", err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	var once sync.Once
	gw.stop = func() {
		once.Do(func() {
			cmd.Process.Kill()
			<-exited
		})
	}
	t.Cleanup(gw.stop)

	admin, err := minio.New(gw.addr, &minio.Options{
		Creds:        credentials.NewStaticV4(gwAccess, gwSecret, ""),
		Region:       "us-east-1",
		BucketLookup: minio.BucketLookupPath,
	})
	if err != nil {
		t.Fatal(err)
	}
	gw.admin = admin
	deadline := time.Now().Add(20 * time.Second)
	for {
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		_, err := admin.ListBuckets(ctx)
		cancel()
		if err == nil {
			return gw
		}
		select {
		case werr := <-exited:
			t.Fatalf("versitygw exited: %v\n%s", werr, out)
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("versitygw not answering on %s: %v\n%s", gw.addr, err, out)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func freeLoopbackAddr(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

// TestS3StoreDown: with the S3 service gone, an upload or a download is
// errs.Unavailable (503, "try again later"), and Ping fails, so /readyz
// does.
func TestS3StoreDown(t *testing.T) {
	gw := startVersityGW(t)
	t.Setenv("MADINA_S3_ACCESS_KEY", gwAccess)
	t.Setenv("MADINA_S3_SECRET_KEY", gwSecret)
	ctx := context.Background()
	if err := gw.admin.MakeBucket(ctx, "down", minio.MakeBucketOptions{}); err != nil {
		t.Fatal(err)
	}
	s, err := Open(ctx, "s3://down?endpoint=http://"+gw.addr+"&region=us-east-1&path_style=true", t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	b, err := s.Put(ctx, strings.NewReader("stored before the outage"), PutOptions{})
	if err != nil {
		t.Fatal(err)
	}
	gw.stop()
	ctx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	_, err = s.Put(ctx, strings.NewReader("sent during the outage"), PutOptions{})
	checkKind(t, err, errs.Unavailable, keyUnavailable, nil)
	_, err = s.Open(ctx, b.SHA256)
	checkKind(t, err, errs.Unavailable, keyUnavailable, nil)
	if err := s.Ping(ctx); err == nil {
		t.Error("Ping succeeded with the S3 service down")
	}
}
